import ArgumentParser
import Foundation
import Testing

@testable import SwiftKafkaAdmin

/// `--reset-offsets`' scenario flags: one scenario exactly, Java's duration syntax, Kafka's date-time format.
@Suite struct OffsetResetOptionsTests {
    @Test func durationsAsJavaReadsThem() throws {
        #expect(try OffsetResetOptions.seconds(ofDuration: "PT30M") == 1_800)
        #expect(try OffsetResetOptions.seconds(ofDuration: "P1DT2H3M4.5S") == 86_400 + 7_200 + 180 + 4.5)
        #expect(try OffsetResetOptions.seconds(ofDuration: "P2D") == 172_800)
        #expect(try OffsetResetOptions.seconds(ofDuration: "-PT1H") == -3_600)
        #expect(try OffsetResetOptions.seconds(ofDuration: "pt1h") == 3_600)
        for bad in ["", "P", "PT", "30M", "PT1D", "P1H", "PT1H2", "PT1X", "P1DT"] {
            #expect(throws: ValidationError.self, "\(bad)") { try OffsetResetOptions.seconds(ofDuration: bad) }
        }
    }

    @Test func dateTimesWithAndWithoutAZone() throws {
        // 2026-11-25T10:00:00Z is 1795600800 s after the epoch.
        #expect(try OffsetResetOptions.milliseconds(ofDateTime: "2026-11-25T10:00:00.250Z") == 1_795_600_800_250)
        #expect(try OffsetResetOptions.milliseconds(ofDateTime: "2026-11-25T12:00:00.000+02:00") == 1_795_600_800_000)
        #expect(try OffsetResetOptions.milliseconds(ofDateTime: "2026-11-25T10:00:00Z") == 1_795_600_800_000)
        // Without a zone: local time, as Kafka reads it.
        let local = try OffsetResetOptions.milliseconds(ofDateTime: "2026-11-25T10:00:00.000")
        let offset = TimeZone.current.secondsFromGMT(for: Date(timeIntervalSince1970: 1_795_600_800))
        #expect(local == (1_795_600_800 - Int64(offset)) * 1000)
        #expect(throws: ValidationError.self) { try OffsetResetOptions.milliseconds(ofDateTime: "yesterday") }
    }

    @Test func plansFromExportedCSV() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let single = directory.appendingPathComponent("single.csv").path
        try "orders,0,5\norders,1,7\n".write(toFile: single, atomically: true, encoding: .utf8)
        #expect(
            try OffsetResetOptions.plan(fromFile: single, groups: ["g"])
                == ["g": [.init("orders", 0): 5, .init("orders", 1): 7]]
        )
        // Without a group column the file is for the one --group; with it, for whichever groups it names.
        #expect(throws: ValidationError.self) { try OffsetResetOptions.plan(fromFile: single, groups: ["a", "b"]) }
        let several = directory.appendingPathComponent("several.csv").path
        try "a,orders,0,1\nb,audit,2,3\n".write(toFile: several, atomically: true, encoding: .utf8)
        #expect(
            try OffsetResetOptions.plan(fromFile: several, groups: [])
                == ["a": [.init("orders", 0): 1], "b": [.init("audit", 2): 3]]
        )
        let broken = directory.appendingPathComponent("broken.csv").path
        try "orders,zero,5\n".write(toFile: broken, atomically: true, encoding: .utf8)
        #expect(throws: ValidationError.self) { try OffsetResetOptions.plan(fromFile: broken, groups: ["g"]) }
        #expect(throws: ValidationError.self) {
            try OffsetResetOptions.plan(fromFile: directory.path + "/none", groups: ["g"])
        }
    }

    @Test func exactlyOneScenario() throws {
        let now = Date(timeIntervalSince1970: 1_000)
        #expect(try OffsetResetOptions.parse(["--to-earliest"]).scenario(now: now) == .earliest)
        #expect(try OffsetResetOptions.parse(["--shift-by", "-5"]).scenario(now: now) == .shift(-5))
        #expect(try OffsetResetOptions.parse(["--to-offset", "7"]).scenario(now: now) == .offset(7))
        #expect(try OffsetResetOptions.parse(["--by-duration", "PT10S"]).scenario(now: now) == .timestamp(990_000))
        for flags in [[], ["--to-earliest", "--to-latest"], ["--to-current", "--to-offset", "1"]] {
            #expect(throws: ValidationError.self, "\(flags)") { try OffsetResetOptions.parse(flags).scenario() }
        }
        #expect(throws: ValidationError.self) {
            try OffsetResetOptions.parse(["--to-latest", "--dry-run", "--execute"]).scenario()
        }
    }
}
