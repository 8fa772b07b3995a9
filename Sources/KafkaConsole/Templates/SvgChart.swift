import Foundation

/// Charts drawn on the server as inline SVG (no script): a sparkline for table cells, a line chart with a time
/// axis for the history, and the timeline's lanes. Only numbers and escaped text go into the markup, so a template
/// may insert the result unescaped (`{{{chart}}}`).
enum SvgChart {
    struct Series {
        var name: String
        var color: String
        var points: [(at: Int64, value: Double)]
    }

    static let palette = ["#2457c5", "#c4320a", "#067647", "#7a5af8", "#b54708", "#0e9384"]

    /// A 120×24 polyline of `values` (empty for fewer than two).
    static func sparkline(_ values: [Double]) -> String {
        guard values.count >= 2 else { return "" }
        let top = max(values.max() ?? 1, 1)
        let step = 120.0 / Double(values.count - 1)
        let points = values.enumerated().map { index, value in
            "\(format(Double(index) * step)),\(format(22 - value / top * 20))"
        }
        return """
            <svg class="spark" width="120" height="24" viewBox="0 0 120 24" role="img" aria-label="trend">\
            <polyline fill="none" stroke="#2457c5" stroke-width="1.5" points="\(points.joined(separator: " "))"/></svg>
            """
    }

    /// A line chart of `series` over time, 640×180, with the maximum and the time span labelled, and a legend.
    static func lines(_ series: [Series], unit: String) -> String {
        let all = series.flatMap(\.points)
        guard let first = all.map(\.at).min(), let last = all.map(\.at).max(), last > first else {
            return #"<p class="muted">Not enough samples yet.</p>"#
        }
        let top = max(all.map(\.value).max() ?? 1, 1e-9)
        let (width, height, left, bottom) = (640.0, 180.0, 56.0, 20.0)
        func x(_ at: Int64) -> Double { left + Double(at - first) / Double(last - first) * (width - left - 8) }
        func y(_ value: Double) -> Double { 8 + (1 - value / top) * (height - bottom - 8) }
        var svg = """
            <svg class="chart" width="100%" viewBox="0 0 \(Int(width)) \(Int(height))" preserveAspectRatio="xMinYMin meet" \
            role="img" aria-label="\(escape(series.map(\.name).joined(separator: ", ")))">\
            <line x1="\(left)" y1="\(y(0))" x2="\(width - 8)" y2="\(y(0))" stroke="#d9dee7"/>\
            <line x1="\(left)" y1="8" x2="\(width - 8)" y2="8" stroke="#eef1f5"/>\
            <text x="\(left - 4)" y="12" text-anchor="end" font-size="10" fill="#667085">\(escape(human(top)))\(escape(unit))</text>\
            <text x="\(left - 4)" y="\(y(0))" text-anchor="end" font-size="10" fill="#667085">0</text>\
            <text x="\(left)" y="\(height - 4)" font-size="10" fill="#667085">\(escape(clock(first)))</text>\
            <text x="\(width - 8)" y="\(height - 4)" text-anchor="end" font-size="10" fill="#667085">\(escape(clock(last)))</text>
            """
        for (index, line) in series.enumerated() where !line.points.isEmpty {
            let points = line.points.map { "\(format(x($0.at))),\(format(y($0.value)))" }.joined(separator: " ")
            svg += """
                <polyline fill="none" stroke="\(line.color)" stroke-width="1.5" points="\(points)"/>\
                <text x="\(left + 8 + Double(index) * 150)" y="\(height - 4)" font-size="10" fill="\(line.color)" \
                dx="90">\(escape(line.name))</text>
                """
        }
        return svg + "</svg>"
    }

    /// The timeline's lanes: one row per broker (and one for the cluster), a tick per event, its kind as the
    /// tick's tooltip.
    static func timeline(_ events: [ConsoleHistory.Event], lanes: [Int32]) -> String {
        guard let first = events.map(\.at).min(), let last = events.map(\.at).max() else {
            return #"<p class="muted">No event recorded yet.</p>"#
        }
        let span = max(last - first, 1)
        let rows: [Int32?] = [nil] + lanes.map(Optional.some)
        let (width, rowHeight, left) = (640.0, 18.0, 70.0)
        var svg = """
            <svg class="chart" width="100%" viewBox="0 0 \(Int(width)) \(Int(Double(rows.count) * rowHeight + 16))" \
            preserveAspectRatio="xMinYMin meet" role="img" aria-label="timeline">
            """
        for (index, lane) in rows.enumerated() {
            let top = Double(index) * rowHeight
            svg += """
                <text x="0" y="\(top + 13)" font-size="11" fill="#667085">\(lane.map { "broker \($0)" } ?? "cluster")</text>\
                <line x1="\(left)" y1="\(top + 9)" x2="\(width - 8)" y2="\(top + 9)" stroke="#eef1f5"/>
                """
            for event in events where event.broker == lane || (lane == nil && !lanes.contains(event.broker ?? -1)) {
                let x = left + Double(event.at - first) / Double(span) * (width - left - 8)
                let color = event.kind.contains("shrink") || event.kind.contains("gone") ? "#b42318" : "#2457c5"
                svg += """
                    <rect x="\(format(x - 2))" y="\(top + 3)" width="4" height="12" fill="\(color)">\
                    <title>\(escape(clock(event.at))) \(escape(event.kind)): \(escape(event.detail))</title></rect>
                    """
            }
        }
        let bottom = Double(rows.count) * rowHeight + 12
        svg += """
            <text x="\(left)" y="\(bottom)" font-size="10" fill="#667085">\(escape(clock(first)))</text>\
            <text x="\(width - 8)" y="\(bottom)" text-anchor="end" font-size="10" fill="#667085">\(escape(clock(last)))</text></svg>
            """
        return svg
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    static func human(_ value: Double) -> String {
        switch value {
        case 1e9...: String(format: "%.1fG", value / 1e9)
        case 1e6...: String(format: "%.1fM", value / 1e6)
        case 1e3...: String(format: "%.1fk", value / 1e3)
        default: String(format: value < 10 ? "%.2f" : "%.0f", value)
        }
    }

    static func clock(_ at: Int64) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: Double(at) / 1000)) + "Z"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
