// swift-tools-version:6.0
// SwiftKafka: Apache Kafka's ZooKeeper-era broker cluster in Swift. Targets and their allowed imports are
// listed in ARCHITECTURE.md; a target imports only what its row there names (scripts/check-imports).
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "SwiftKafka",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ZooKeeper", targets: ["ZooKeeper"]),
        .library(name: "KafkaProtocol", targets: ["KafkaProtocol"]),
        .library(name: "KafkaClient", targets: ["KafkaClient"]),
        .executable(name: "swiftkafka-broker", targets: ["SwiftKafkaBroker"]),
        .executable(name: "swiftkafka-zk", targets: ["SwiftKafkaZK"]),
        .executable(name: "swiftkafka-admin", targets: ["SwiftKafkaAdmin"]),
        .executable(name: "swiftkafka-schema-registry", targets: ["SwiftKafkaSchemaRegistry"]),
        .executable(name: "swiftkafka-connect", targets: ["SwiftKafkaConnect"]),
        .executable(name: "swiftkafka-mirror", targets: ["SwiftKafkaMirror"]),
        .executable(name: "swiftkafka-console", targets: ["SwiftKafkaConsole"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CZooKeeper",
            path: "Sources/CZooKeeper",
            providers: [.apt(["libzookeeper-mt-dev"])]
        ),
        .target(
            name: "KafkaCore",
            swiftSettings: strictSettings
        ),
        .target(
            name: "KafkaSecurity",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .target(name: "CCRC32C"),
        .target(
            name: "Avro",
            swiftSettings: strictSettings
        ),
        .target(
            name: "SchemaRegistry",
            dependencies: ["Avro"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SchemaRegistryServer",
            dependencies: [
                "SchemaRegistry", "Avro", "KafkaClient", "KafkaCore", "ZooKeeper",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "SwiftKafkaSchemaRegistry",
            dependencies: [
                "SchemaRegistryServer", "KafkaCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KafkaConnect",
            dependencies: ["Avro"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ConnectRuntime",
            dependencies: [
                "KafkaConnect", "Avro", "KafkaClient", "KafkaCore", "KafkaProtocol", "KafkaMirror", "KafkaSecurity",
                "KafkaZooKeeper",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "SwiftKafkaConnect",
            dependencies: [
                "ConnectRuntime", "KafkaCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KafkaMirror",
            dependencies: [
                "KafkaClient", "KafkaCore", "KafkaProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "SwiftKafkaMirror",
            dependencies: [
                "KafkaMirror", "KafkaCore", "ConnectRuntime", "KafkaConnect",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KafkaConsole",
            dependencies: [
                "KafkaClient", "KafkaCore", "KafkaZooKeeper", "ZooKeeper", "KafkaSecurity", "Avro",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "SwiftKafkaConsole",
            dependencies: [
                "KafkaConsole", "KafkaCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .systemLibrary(
            name: "CCodecs",
            path: "Sources/CCodecs",
            providers: [.apt(["zlib1g-dev", "libsnappy-dev", "liblz4-dev", "libzstd-dev"])]
        ),
        .target(
            name: "KafkaProtocol",
            dependencies: [
                "KafkaCore",
                "CCRC32C",
                "CCodecs",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KafkaClient",
            dependencies: [
                "KafkaCore", "KafkaProtocol", "KafkaSecurity",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "KafkaMessageGen",
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        .target(
            name: "KafkaStorage",
            dependencies: [
                "KafkaCore",
                "KafkaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KafkaZooKeeper",
            dependencies: [
                "ZooKeeper", "KafkaCore", "KafkaSecurity",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KafkaReplication",
            dependencies: [
                "KafkaCore", "KafkaProtocol", "KafkaStorage",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KafkaCoordinator",
            dependencies: [
                "KafkaCore", "KafkaProtocol", "KafkaZooKeeper", "KafkaReplication",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KafkaController",
            dependencies: [
                "KafkaCore", "KafkaProtocol", "KafkaZooKeeper", "ZooKeeper",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KafkaServer",
            dependencies: [
                "KafkaController", "KafkaCoordinator", "KafkaClient",
                "KafkaCore", "KafkaProtocol", "KafkaStorage", "KafkaZooKeeper", "ZooKeeper", "KafkaReplication",
                "KafkaSecurity",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "SwiftKafkaZK",
            dependencies: [
                "KafkaSecurity",
                "KafkaZooKeeper",
                "ZooKeeper",
                "KafkaCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "SwiftKafkaAdmin",
            dependencies: [
                "KafkaClient", "KafkaMirror",
                "KafkaProtocol",
                "KafkaCore",
                "KafkaSecurity",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "SwiftKafkaBroker",
            dependencies: [
                "KafkaServer", "KafkaCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ZooKeeper",
            dependencies: [
                "CZooKeeper",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "KafkaTestSupport",
            dependencies: ["KafkaCore", "ZooKeeper"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ClusterTestSupport",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ZooKeeperBenchmark",
            dependencies: [
                "ZooKeeper",
                "CZooKeeper",
                "ClusterTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/ZooKeeperBenchmark",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ProtocolBenchmark",
            dependencies: [
                "KafkaProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/ProtocolBenchmark",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "StorageBenchmark",
            dependencies: [
                "KafkaStorage", "KafkaProtocol", "KafkaCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/StorageBenchmark",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SchemaRegistryTests",
            dependencies: ["SchemaRegistry", "Avro"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KafkaConnectTests",
            dependencies: [
                "KafkaConnect", "ConnectRuntime", "Avro", "KafkaCore", "KafkaSecurity",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KafkaConsoleTests",
            dependencies: ["KafkaConsole"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KafkaMirrorTests",
            dependencies: ["KafkaMirror", "KafkaCore"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AvroTests",
            dependencies: ["Avro"],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KafkaProtocolTests",
            dependencies: ["KafkaProtocol", "KafkaCore", .product(name: "NIOEmbedded", package: "swift-nio")],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KafkaStorageTests",
            dependencies: [
                "KafkaTestSupport",
                "KafkaStorage", "KafkaProtocol", "KafkaCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KafkaZooKeeperTests",
            dependencies: [
                "KafkaSecurity",
                "KafkaTestSupport",
                "KafkaZooKeeper", "ZooKeeper", "KafkaCore", "ClusterTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KafkaSecurityTests",
            dependencies: ["KafkaSecurity"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BrokerTests",
            dependencies: [
                "KafkaTestSupport", "KafkaSecurity",
                "KafkaServer", "KafkaClient", "KafkaProtocol", "KafkaCore", "ClusterTestSupport", "KafkaReplication",
                "KafkaStorage",
                "ZooKeeper",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KafkaCoordinatorTests",
            dependencies: [
                "KafkaTestSupport",
                "KafkaCoordinator", "KafkaCore", "KafkaProtocol", .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KafkaControllerTests",
            dependencies: [
                "KafkaController", "KafkaTestSupport", "KafkaZooKeeper", "KafkaCore", "KafkaProtocol", "ZooKeeper",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KafkaReplicationTests",
            dependencies: [
                "KafkaReplication", "KafkaStorage", "KafkaProtocol", "KafkaCore", "KafkaTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KafkaClientTests",
            dependencies: [
                "KafkaClient", "KafkaProtocol", "KafkaCore", "ClusterTestSupport",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ZooKeeperTests",
            dependencies: ["ZooKeeper", "ClusterTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SwiftKafkaAdminTests",
            dependencies: ["SwiftKafkaAdmin", "KafkaCore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings
        ),
    ]
)
