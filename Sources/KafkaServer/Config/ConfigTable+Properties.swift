import KafkaCore

extension ConfigTable {
    /// The documented `server.properties` that `conf/server.properties` is: every broker key of the table, by
    /// section, with its documentation, type, default and topic-level synonym; a key is set when its row has a sample
    /// value, else shown commented out with Kafka's default. Printed by `swiftkafka-broker --print-properties`.
    public static func documentedProperties() -> String {
        var lines = [
            "# SwiftKafka broker configuration: Apache Kafka 2.8's key names and defaults (ZooKeeper mode).",
            "# Start a broker with:  swiftkafka-broker conf/server.properties [--override key=value ...]",
            "# Unknown keys are reported and ignored; a value that does not parse stops the broker with a message naming it.",
            "# Written by `swiftkafka-broker --print-properties` from the broker's config table",
            "# (Sources/KafkaServer/Config/ConfigTable.swift); a test checks that the two agree. Each key shows Kafka's",
            "# default, commented out, unless this sample sets a value.",
        ]
        for section in sections {
            lines += ["", "############################# \(section.title) #############################"]
            for key in section.keys {
                guard let name = key.brokerName else { continue }
                lines.append("")
                lines += wrapped(key.documentation)
                var facts = "\(key.kafkaType); default: \(key.defaultValue.isEmpty ? "empty" : key.defaultValue)"
                if let topic = key.topicName { facts += "; per topic: \(topic)" }
                lines.append("# (\(facts))")
                if let example = key.example {
                    lines.append("\(name)=\(example)")
                } else {
                    lines.append("#\(name)=\(key.defaultValue == "null" ? "" : key.defaultValue)")
                }
            }
        }
        let topicOnly = keys.filter { $0.brokerName == nil }.compactMap(\.topicName)
        lines += [
            "",
            "############################# Topic-level only #############################",
            "",
        ]
        lines += wrapped(
            "Set per topic (CreateTopics, AlterConfigs, swiftkafka-admin configs), with no key of their own here: "
                + topicOnly.joined(separator: ", ")
                + ". retention.ms follows log.retention.ms, minutes or hours; segment.ms follows log.roll.ms or hours."
        )
        return lines.joined(separator: "\n") + "\n"
    }

    /// `text` as `# ` comment lines of at most 120 characters.
    private static func wrapped(_ text: String) -> [String] {
        var lines: [String] = []
        var line = "#"
        for word in text.split(separator: " ") {
            if line.count + 1 + word.count > 120 && line != "#" {
                lines.append(line)
                line = "#"
            }
            line += " " + word
        }
        lines.append(line)
        return lines
    }
}
