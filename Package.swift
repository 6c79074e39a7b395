// swift-tools-version:6.2
// WxMediaFS: WeChat Official Account temporary media as a FUSE filesystem.
// Module rules (docs/architecture.md): the MediaFS core imports neither FUSE nor HTTP; only FuseBridge
// imports CFuse; WxMediaFSCLI is the single composition root.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "WxMediaFS",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "wxmediafs", targets: ["wxmediafs"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.11.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.24.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.25.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // 3.12.3 or 4.x: `_CryptoExtras` (AES._CBC) is spelled the same in both; the rest of the graph picks.
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CFuse",
            pkgConfig: "fuse3",
            providers: [.apt(["libfuse3-dev"])]
        ),
        .target(name: "CSanitizerHooks"),
        .target(name: "CBuildInfo"),
        .systemLibrary(name: "CMalloc"),
        .target(name: "Locking", dependencies: ["CSanitizerHooks"], swiftSettings: swiftSettings),
        .target(
            name: "WeChatAPI",
            dependencies: ["Locking", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WeChatHTTP",
            dependencies: [
                "Locking",
                "WeChatAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WeChatCallback",
            dependencies: [
                "Locking",
                "WeChatAPI",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SharedStore",
            dependencies: [
                "Locking", "MediaCache", "WeChatAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "CChecksum"),
        .target(name: "CFileSpace"),
        .systemLibrary(name: "CSpeex", pkgConfig: "speex", providers: [.apt(["libspeex-dev"])]),
        .target(name: "VoiceCodec", dependencies: ["CSpeex"], swiftSettings: swiftSettings),
        .target(
            name: "MediaCache",
            dependencies: ["CChecksum", "CFileSpace", "Locking", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MediaFS",
            dependencies: ["Locking", "WeChatAPI", "MediaCache", "VoiceCodec", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FuseBridge",
            dependencies: ["CFuse", "MediaFS", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WeChatSimulator",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WxMediaFSCLI",
            dependencies: [
                "CBuildInfo", "CMalloc", "Locking", "WeChatAPI", "WeChatHTTP", "WeChatCallback", "MediaCache", "MediaFS", "FuseBridge", "WeChatSimulator", "VoiceCodec",
                "SharedStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "wxmediafs",
            dependencies: ["WxMediaFSCLI"],
            swiftSettings: swiftSettings
        ),
        // Scratch space under /tmp for the tests, removed when the test process exits (Tests/Scratch).
        .target(name: "Scratch", path: "Tests/Scratch", swiftSettings: swiftSettings),
        .testTarget(name: "WeChatAPITests", dependencies: ["Locking", "Scratch", "WeChatAPI", "WeChatHTTP", "WeChatSimulator"], swiftSettings: swiftSettings),
        .testTarget(name: "WeChatCallbackTests", dependencies: ["Locking", "WeChatCallback", "WeChatAPI"], swiftSettings: swiftSettings),
        .testTarget(name: "MediaCacheTests", dependencies: ["Locking", "MediaCache", "MediaFS", "CChecksum", "Scratch"], swiftSettings: swiftSettings),
        .testTarget(name: "MediaFSTests", dependencies: ["Locking", "MediaFS", "MediaCache", "Scratch", "WeChatAPI"], swiftSettings: swiftSettings),
        .testTarget(name: "SharedStoreTests", dependencies: ["SharedStore", "MediaCache", "Scratch", .product(name: "Logging", package: "swift-log")], exclude: ["Fixtures", "s3check.py"], swiftSettings: swiftSettings),
        .testTarget(name: "VoiceCodecTests", dependencies: ["VoiceCodec"], swiftSettings: swiftSettings),
        .testTarget(name: "WxMediaFSCLITests", dependencies: ["Locking", "Scratch", "WxMediaFSCLI", "FuseBridge", "WeChatCallback"], swiftSettings: swiftSettings),
        .testTarget(name: "IntegrationTests", dependencies: ["Locking", "Scratch", "WeChatSimulator", "WeChatAPI", "WeChatHTTP"], swiftSettings: swiftSettings),
    ]
)
