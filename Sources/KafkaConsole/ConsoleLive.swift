import Foundation
import Hummingbird
import NIOCore

/// Live updates of the overview (`GET /events/overview`, server-sent events): every `console.live.interval.ms` an
/// `overview` event whose data is the overview's counts as JSON; `/static/console.js` (the console's only script)
/// writes them into the page's `data-live-field` elements, so the cards follow the cluster without a reload. The
/// page works without it. The stream ends when the browser goes away (a write fails).
enum ConsoleLive {
    static let script = """
        // Live updates of the overview's counts through server-sent events; the page works without this script.
        (function () {
          if (!window.EventSource || !document.querySelector('[data-live="overview"]')) return;
          var source = new EventSource('/events/overview');
          source.addEventListener('overview', function (event) {
            var counts = JSON.parse(event.data);
            Object.keys(counts).forEach(function (key) {
              document.querySelectorAll('[data-live-field="' + key + '"]').forEach(function (element) {
                element.textContent = String(counts[key]);
              });
            });
          });
        })();
        """

    /// The counts one event carries.
    static func counts(_ page: OverviewPage) -> [String: Int] {
        [
            "brokers": page.brokers.count, "controllerID": Int(page.controllerID), "topics": page.topics,
            "partitions": page.partitions, "onlinePartitions": page.onlinePartitions,
            "offlinePartitions": page.offlinePartitions, "underReplicatedPartitions": page.underReplicatedPartitions,
            "underMinIsrPartitions": page.underMinIsrPartitions,
        ]
    }

    static func overviewStream(_ cluster: ConsoleCluster, intervalMs: Int64) -> Response {
        let body = ResponseBody { writer in
            while !Task.isCancelled {
                if let page = try? await cluster.overview() {
                    let data = ConsoleRenderer.json(counts(page))
                    try await writer.write(ByteBuffer(string: "event: overview\ndata: \(data)\n\n"))
                }
                try await Task.sleep(for: .milliseconds(intervalMs))
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: body
        )
    }
}
