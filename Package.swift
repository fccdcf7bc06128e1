// swift-tools-version:6.1
import PackageDescription

// Module map: ../shared/DESIGN.md. Arrows point one way: RNNCore knows only BLAS.
let package = Package(
    name: "rnnd",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RNNCore", targets: ["RNNCore"]),
        .library(name: "RNNTraining", targets: ["RNNTraining"]),
        .library(name: "RNNStore", targets: ["RNNStore"]),
        .executable(name: "rnn-bench", targets: ["rnn-bench"]),
        .executable(name: "rnn-demo", targets: ["rnn-demo"]),
        .executable(name: "rnnd", targets: ["rnnd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // cblas.h and openblas_set_num_threads from Debian's libopenblas-dev, found through pkg-config
        // so that OpenBLAS's own header is used, not whichever cblas.h the alternatives system picks.
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // The Float hot loops (gate nonlinearities, fused LSTM steps) in C: clang vectorises them and
        // compiles one copy per x86-64 level, picked at load time; Swift's SIMD types scalarised here.
        .target(
            name: "CRNNKernels",
            cSettings: [.unsafeFlags(["-O3"])]
        ),
        .target(name: "RNNCore", dependencies: ["COpenBLAS", "CRNNKernels"]),
        .target(name: "RNNTraining", dependencies: ["RNNCore"]),
        // Sources/RNNStore/migrations is a symbolic link to the top-level migrations/ folder (the schema's
        // source of truth); its SQL files are compiled into the binary, so an installed rnnd needs no tree.
        .target(
            name: "RNNStore",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")],
            resources: [.embedInCode("migrations")]
        ),
        // The daemon's composition (configuration, lock, notify protocol so far; the server and the
        // scheduler are issue 5's next steps).
        .target(name: "RNNDaemon", dependencies: [
            "RNNTraining", "RNNStore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(
            name: "rnnd",
            dependencies: ["RNNDaemon", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "rnn-bench",
            dependencies: ["RNNCore", "RNNTraining", "RNNStore", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "rnn-demo",
            dependencies: ["RNNCore", "RNNTraining"]
        ),
        .testTarget(name: "RNNCoreTests", dependencies: ["RNNCore"]),
        .testTarget(name: "RNNTrainingTests", dependencies: ["RNNTraining"]),
        .testTarget(name: "RNNStoreTests", dependencies: ["RNNStore"]),
        .testTarget(name: "RNNDaemonTests", dependencies: ["RNNDaemon"]),
    ],
    swiftLanguageModes: [.v6]
)
