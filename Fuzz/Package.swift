// swift-tools-version:6.0
// SwiftKafka's libFuzzer targets (issue 15 item 8): a package of its own, because each target's `main` is
// libFuzzer's and exists only when built with `--sanitize=fuzzer`. Build and run them with `scripts/fuzz`.
import PackageDescription

func fuzzTarget(_ name: String, _ more: [Target.Dependency] = []) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["FuzzSupport", .product(name: "KafkaProtocol", package: "SwiftKafka")] + more,
        swiftSettings: [.unsafeFlags(["-parse-as-library"])]
    )
}

let package = Package(
    name: "SwiftKafkaFuzz",
    dependencies: [
        .package(name: "SwiftKafka", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
    ],
    targets: [
        .target(
            name: "FuzzSupport",
            dependencies: [
                .product(name: "KafkaProtocol", package: "SwiftKafka"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        fuzzTarget("FuzzRequests", [.product(name: "NIOEmbedded", package: "swift-nio")]),
        fuzzTarget("FuzzRecords"),
        fuzzTarget("FuzzVarints"),
        fuzzTarget("FuzzCodecs"),
    ]
)
