/// Prometheus' text exposition format, as much as the console reads of the brokers' `/metrics`: each sample line
/// `name{label="value",...} number` (comments and malformed lines skipped; escapes in label values kept as
/// written, which the broker's label values never need).
struct PrometheusText {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    var samples: [Sample]

    static func parse(_ text: String) -> PrometheusText {
        var samples: [Sample] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let series: Substring
            let rest: Substring
            if let open = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}"), open < close {
                series = line[..<close]
                rest = line[line.index(after: close)...]
            } else if let space = line.firstIndex(of: " ") {
                series = line[..<space]
                rest = line[space...]
            } else {
                continue
            }
            guard let number = rest.split(separator: " ").first.flatMap({ Double($0) }) else { continue }
            var name = String(series)
            var labels: [String: String] = [:]
            if let open = series.firstIndex(of: "{") {
                name = String(series[..<open])
                for pair in series[series.index(after: open)...].split(separator: ",") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2 else { continue }
                    labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
                }
            }
            samples.append(Sample(name: name, labels: labels, value: number))
        }
        return PrometheusText(samples: samples)
    }

    /// The value of the first sample of `name` whose labels include `labels`.
    func value(_ name: String, where labels: [String: String] = [:]) -> Double? {
        samples.first { sample in
            sample.name == name && labels.allSatisfy { key, value in sample.labels[key] == value }
        }?.value
    }

    /// The sample of `name` with exactly `labels`' values for those labels, else the sum of every sample of `name`.
    func total(_ name: String, where labels: [String: String]) -> Double {
        value(name, where: labels) ?? samples.filter { $0.name == name }.reduce(0) { $0 + $1.value }
    }
}
