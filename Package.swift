// swift-tools-version:6.1
import PackageDescription

// Module map and arrows: docs/architecture.md. Arrows point one way: RNNCore knows only BLAS.
let package = Package(
    name: "rnnd",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RNNCore", targets: ["RNNCore"]),
        .library(name: "RNNTraining", targets: ["RNNTraining"]),
        .library(name: "RNNStore", targets: ["RNNStore"]),
        .executable(name: "rnn-bench", targets: ["rnn-bench"]),
        .executable(name: "rnnd", targets: ["rnnd"]),
        .executable(name: "rnnctl", targets: ["rnnctl"]),
        .executable(name: "rnnd-worker", targets: ["rnnd-worker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // NIOCore and NIOHTTP1 are imported by the daemon and the client (they arrive with Hummingbird and
        // AsyncHTTPClient; every imported module is declared).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // Already built as part of AsyncHTTPClient's stack; SHA-256 for datasets and checkpoints.
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        // Tests only: reads the OpenAPI document to check its schemas against the wire types.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
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
        // Never instrumented by ThreadSanitizer: the copy is picked by an ifunc resolver that the dynamic
        // loader runs before TSan's runtime exists (instrumented, it crashes at load); the kernels only
        // touch buffers their caller owns.
        .target(
            name: "CRNNKernels",
            cSettings: [.unsafeFlags(["-O3", "-fno-math-errno", "-fno-sanitize=thread"])]
        ),
        .target(name: "RNNCore", dependencies: ["COpenBLAS", "CRNNKernels"]),
        // mpi.h and libmpi from Debian's libopenmpi-dev (pkg-config ompi-c), with getters for the handles
        // Open MPI defines as macros. Only rnnd-worker and rnn-bench link it: rnnd never does (MPI_Init
        // cannot be redone in a long-running process, and a fault inside a collective must not take it down).
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        // Hyperparameter sweeps' pure parts: search spaces, grid and seeded random trials, ASHA's promotion rule.
        .target(name: "RNNSweep", dependencies: ["RNNAPI"]),
        // The hosts of a multi-host run over Open MPI: the reproducible gradient sum and the collective watchdog.
        .target(name: "RNNMPI", dependencies: ["CMPI", "RNNTraining"]),
        // RNNAPI for one definition of a configuration value (APIValue): the trainer validates what clients send.
        .target(name: "RNNTraining", dependencies: ["RNNCore", "RNNAPI", "RNNSupport"]),
        // Sources/RNNStore/migrations is a symbolic link to the top-level migrations/ folder (the schema's
        // source of truth); its SQL files are compiled into the binary, so an installed rnnd needs no tree.
        .target(
            name: "RNNStore",
            dependencies: ["RNNAPI", "RNNSupport", .product(name: "GRDB", package: "GRDB.swift")],
            resources: [.embedInCode("migrations")]
        ),
        // The wire contract only: Codable request and response types, the run-state machine; openapi.yaml
        // beside them is compiled in and served by rnnd.
        .target(name: "RNNAPI", resources: [.embedInCode("openapi.yaml")]),
        // Small parts several modules share, none of them the wire: the lock, the config-file reader, SHA-256
        // (a dataset's identity), the Unix socket address, "did you mean" suggestions, local file problems.
        .target(name: "RNNSupport", dependencies: ["RNNAPI", .product(name: "Crypto", package: "swift-crypto")]),
        // `--version`: the BuildInfo plugin writes the git commit into this module before each build.
        .target(name: "RNNBuildInfo", dependencies: ["RNNAPI"], plugins: ["BuildInfo"]),
        .plugin(name: "BuildInfo", capability: .buildTool()),
        // The daemon's composition: settings, lock, notify protocol, scheduler, job runner, HTTP routes.
        .target(name: "RNNDaemon", dependencies: [
            "RNNTraining", "RNNStore", "RNNAPI", "RNNSupport", "RNNSweep",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ], resources: [.embedInCode("WebView/assets")]),
        .target(name: "RNNClient", dependencies: [
            "RNNAPI", "RNNSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        .executableTarget(
            name: "rnnctl",
            dependencies: ["RNNClient", "RNNAPI", "RNNSupport", "RNNBuildInfo", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "rnnd",
            dependencies: ["RNNDaemon", "RNNCore", "RNNBuildInfo", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log")]
        ),
        // One rank of a multi-host run, started by rnnd through mpirun.
        .executableTarget(name: "rnnd-worker", dependencies: ["RNNMPI", "RNNTraining", "RNNCore", "RNNAPI"]),
        .executableTarget(
            name: "rnn-bench",
            dependencies: ["RNNCore", "RNNTraining", "RNNStore", "RNNClient", "RNNAPI", "RNNSupport", "RNNMPI", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "RNNCoreTests", dependencies: ["RNNCore"]),
        .testTarget(name: "RNNSweepTests", dependencies: ["RNNSweep", "RNNAPI"]),
        .testTarget(name: "RNNSupportTests", dependencies: ["RNNSupport", "RNNAPI"]),
        .testTarget(name: "RNNTrainingTests", dependencies: ["RNNCore", "RNNTraining", "RNNAPI", "RNNSupport"]),
        .testTarget(name: "RNNStoreTests", dependencies: ["RNNStore", "RNNAPI", "RNNSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        // Controller tests run the real router in memory (HummingbirdTesting's `.router`), beside the end-to-end tests.
        .testTarget(name: "RNNDaemonTests", dependencies: ["RNNDaemon", "RNNAPI", "RNNSupport", "RNNStore", .product(name: "Logging", package: "swift-log"),
                                                   .product(name: "Yams", package: "Yams"),
                                                   .product(name: "Hummingbird", package: "hummingbird"),
                                                   .product(name: "HummingbirdTesting", package: "hummingbird"),
                                                   .product(name: "NIOCore", package: "swift-nio")]),
        // The real rnnd and rnnctl binaries (built before the tests run) on temporary state directories.
        .testTarget(name: "EndToEndTests", dependencies: ["RNNClient", "RNNAPI", "RNNSupport", "RNNStore", "RNNTraining"]),
        .testTarget(name: "RNNCtlTests", dependencies: ["rnnctl", "RNNClient", "RNNAPI", "RNNSupport",
                                                .product(name: "ArgumentParser", package: "swift-argument-parser")]),
    ],
    swiftLanguageModes: [.v6]
)
