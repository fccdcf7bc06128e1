import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RNNAPI
#if canImport(Glibc)
import Glibc
import RNNSupport
#endif

/// Why a request to rnnd failed.
public enum ClientError: Error, CustomStringConvertible, Sendable {
    /// Nothing answered at `location`.
    case unreachable(location: String, reason: String)
    /// rnnd answered with an error status and its message.
    case api(status: Int, body: APIErrorBody)
    /// rnnd's answer could not be understood.
    case badResponse(String)
    /// A file on this side could not be read.
    case localFile(String)

    public var description: String {
        switch self {
        case .unreachable(let location, let reason): "cannot reach rnnd at \(location) (\(reason))"
        case .api(_, let body): body.text
        case .badResponse(let why): "unexpected answer from rnnd: \(why)"
        case .localFile(let why): why
        }
    }
}

/// A typed client of rnnd's control API, over the Unix socket or the loopback TCP listener.
public struct RNNClient: Sendable {
    public enum Endpoint: Sendable, Equatable {
        case unixSocket(path: String)
        /// http://127.0.0.1:PORT with a bearer token.
        case tcp(baseURL: String, token: String)

        public var description: String {
            switch self {
            case .unixSocket(let path): path
            case .tcp(let url, _): url
            }
        }
    }

    public let endpoint: Endpoint
    let http: HTTPClient

    public init(endpoint: Endpoint) {
        self.endpoint = endpoint
        http = HTTPClient.shared
    }

    // MARK: transport

    func url(_ pathAndQuery: String) throws -> String {
        switch endpoint {
        case .unixSocket(let path):
            guard let url = URL(httpURLWithSocketPath: path, uri: pathAndQuery) else {
                throw ClientError.unreachable(location: path, reason: "not a usable socket path")
            }
            return url.absoluteString
        case .tcp(let base, _):
            return base + pathAndQuery
        }
    }

    func makeRequest(_ method: HTTPMethod, _ pathAndQuery: String) throws -> HTTPClientRequest {
        var request = HTTPClientRequest(url: try url(pathAndQuery))
        request.method = method
        if case .tcp(_, let token) = endpoint { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        return request
    }

    func execute(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> HTTPClientResponse {
        if case .unixSocket(let path) = endpoint { try Self.probe(path) }
        do {
            return try await http.execute(request, timeout: timeout)
        } catch {
            // Refused, missing socket, reset connection: in each case rnnd is not there to answer.
            throw ClientError.unreachable(location: endpoint.description, reason: "\(error)")
        }
    }

    /// Connects to the socket once: a missing socket, a refused connection or a denied permission is
    /// reported at once (HTTPClient would retry a failed connect until its deadline).
    static func probe(_ path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        guard let address = UnixSocketAddress(path: path) else {
            throw ClientError.unreachable(location: path, reason: "the socket path is longer than 107 bytes")
        }
        let result = address.withSockaddr { connect(fd, $0, $1) }
        if result != 0 { throw ClientError.unreachable(location: path, reason: String(cString: strerror(errno))) }
    }

    /// Sends a request and returns the body of a 2xx answer; an error status becomes `ClientError.api`.
    func send(_ method: HTTPMethod, _ pathAndQuery: String, json body: Data? = nil, timeout: TimeAmount = .seconds(600)) async throws -> Data {
        var request = try makeRequest(method, pathAndQuery)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await execute(request, timeout: timeout)
        let buffer = try await response.body.collect(upTo: 1 << 30)
        let data = Data(buffer.readableBytesView)
        try Self.check(response.status, data)
        return data
    }

    /// Any request (for tools and tests): method, path with query, optional JSON body; the 2xx body.
    public func raw(_ method: String, _ pathAndQuery: String, json body: Data? = nil) async throws -> Data {
        try await send(HTTPMethod(rawValue: method), pathAndQuery, json: body)
    }

    static func check(_ status: HTTPResponseStatus, _ data: Data) throws {
        guard (200..<300).contains(status.code) else {
            if let body = try? APIJSON.decoder.decode(APIErrorBody.self, from: data) {
                throw ClientError.api(status: Int(status.code), body: body)
            }
            throw ClientError.api(status: Int(status.code), body: APIErrorBody(error: "\(status.code) \(status.reasonPhrase)"))
        }
    }

    func call<Response: Decodable>(_ method: HTTPMethod, _ pathAndQuery: String, body: (some Encodable)? = nil as Int?) async throws -> Response {
        let data = try await send(method, pathAndQuery, json: try body.map { try APIJSON.encoder.encode($0) })
        do {
            return try APIJSON.decoder.decode(Response.self, from: data)
        } catch {
            throw ClientError.badResponse("\(pathAndQuery): \(error)")
        }
    }

    static func query(_ items: [(String, String?)]) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+;")
        let parts = items.compactMap { name, value in
            value.map { "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0)" }
        }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }

    // MARK: the API

    public func health() async throws -> HealthInfo { try await call(.GET, "/healthz") }

    public func dataset(sha256: String) async throws -> DatasetInfo? {
        do {
            return try await call(.GET, "/v1/datasets/\(sha256)")
        } catch ClientError.api(let status, _) where status == 404 {
            return nil
        }
    }

    /// Streams `file` to rnnd (which hashes and stores it); `progress` is called with the bytes sent.
    /// Uploads a file as a dataset, streamed from disk in 1 MiB chunks: memory stays flat whatever the file's
    /// size, and `progress` reports the bytes handed to the connection (a chunk is read only when the one
    /// before it has been sent).
    public func uploadDataset(file: String, name: String, kind: DatasetKind,
                              progress: @escaping @Sendable (Int64) -> Void = { _ in }) async throws -> DatasetInfo {
        guard FileManager.default.isReadableFile(atPath: file),
              let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value else {
            throw ClientError.localFile(FileProblem.cannotRead(file))
        }
        var request = try makeRequest(.POST, "/v1/datasets" + Self.query([("name", name), ("kind", kind.rawValue)]))
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = .stream(FileChunks(path: file, progress: progress), length: .known(size))
        let response = try await execute(request, timeout: .hours(2))
        let data = Data(try await response.body.collect(upTo: 1 << 20).readableBytesView)
        try Self.check(response.status, data)
        return try APIJSON.decoder.decode(DatasetInfo.self, from: data)
    }

    public func submit(_ request: SubmitRequest) async throws -> RunInfo { try await call(.POST, "/v1/runs", body: request) }

    public func runs(filter: String? = nil, sort: String? = nil, limit: Int? = nil, offset: Int? = nil) async throws -> [RunInfo] {
        let list: RunList = try await call(.GET, "/v1/runs" + Self.query([
            ("filter", filter), ("sort", sort), ("limit", limit.map(String.init)), ("offset", offset.map(String.init)),
        ]))
        return list.runs
    }

    public func run(_ id: Int64) async throws -> RunDetail { try await call(.GET, "/v1/runs/\(id)") }

    public func cancel(_ id: Int64) async throws -> RunInfo { try await call(.POST, "/v1/runs/\(id)/cancel") }
    public func pause(_ id: Int64) async throws -> RunInfo { try await call(.POST, "/v1/runs/\(id)/pause") }
    public func resume(_ id: Int64) async throws -> RunInfo { try await call(.POST, "/v1/runs/\(id)/resume") }
    public func fork(_ id: Int64, _ request: ForkRequest) async throws -> RunInfo { try await call(.POST, "/v1/runs/\(id)/fork", body: request) }

    public func edit(_ id: Int64, _ request: EditRequest) async throws -> RunInfo { try await call(.PATCH, "/v1/runs/\(id)", body: request) }

    public func webLogin() async throws -> WebLogin { try await call(.POST, "/v1/ui/tokens") }

    public func submitSweep(_ request: SweepRequest) async throws -> SweepInfo { try await call(.POST, "/v1/sweeps", body: request) }
    public func sweeps() async throws -> [SweepInfo] { (try await call(.GET, "/v1/sweeps") as SweepList).sweeps }
    public func sweep(_ id: Int64) async throws -> SweepDetail { try await call(.GET, "/v1/sweeps/\(id)") }
    public func cancelSweep(_ id: Int64) async throws -> SweepInfo { try await call(.POST, "/v1/sweeps/\(id)/cancel") }

    public func datasets() async throws -> [DatasetInfo] { (try await call(.GET, "/v1/datasets") as DatasetList).datasets }
    public func deleteDataset(sha256: String) async throws { _ = try await send(.DELETE, "/v1/datasets/\(sha256)") }

    public func delete(_ id: Int64, force: Bool = false) async throws {
        _ = try await send(.DELETE, "/v1/runs/\(id)" + (force ? "?force=true" : ""))
    }

    public func series(_ id: Int64, name: String, maxPoints: Int? = nil) async throws -> Series {
        try await call(.GET, "/v1/runs/\(id)/metrics/\(name)" + Self.query([("max_points", maxPoints.map(String.init))]))
    }

    public func compare(_ ids: [Int64]) async throws -> Comparison {
        try await call(.GET, "/v1/compare" + Self.query([("runs", ids.map(String.init).joined(separator: ","))]))
    }

    /// The checkpoint as safetensors bytes.
    public func export(_ id: Int64, checkpoint: CheckpointChoice?) async throws -> Data {
        try await send(.GET, "/v1/runs/\(id)/export" + Self.query([("checkpoint", checkpoint?.description)]))
    }

    /// A consistent copy of rnnd's database.
    public func backup() async throws -> Data { try await send(.GET, "/v1/backup") }

    public func sample(_ id: Int64, _ request: SampleRequest) async throws -> SampleResponse { try await call(.POST, "/v1/runs/\(id)/sample", body: request) }
    public func forecast(_ id: Int64, _ request: ForecastRequest) async throws -> ForecastResponse { try await call(.POST, "/v1/runs/\(id)/forecast", body: request) }
    public func evaluate(_ id: Int64, _ request: EvaluateRequest) async throws -> EvaluateResponse { try await call(.POST, "/v1/runs/\(id)/evaluate", body: request) }
    public func predict(_ id: Int64, _ request: PredictRequest) async throws -> PredictResponse { try await call(.POST, "/v1/runs/\(id)/predict", body: request) }

    /// The run's live progress (Server-Sent Events) until the run reaches a final state.
    public func stream(_ id: Int64) async throws -> AsyncThrowingStream<ProgressEvent, Error> {
        var request = try makeRequest(.GET, "/v1/runs/\(id)/stream")
        request.headers.add(name: "Accept", value: "text/event-stream")
        let response = try await execute(request, timeout: .hours(24 * 365))
        guard response.status == .ok else {
            let data = Data(try await response.body.collect(upTo: 1 << 20).readableBytesView)
            try Self.check(response.status, data)
            throw ClientError.badResponse("status \(response.status.code)")
        }
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    var pending = [UInt8]()
                    for try await buffer in response.body {
                        pending.append(contentsOf: buffer.readableBytesView)
                        // Events end with a blank line; each carries one `data:` line of JSON.
                        while let end = Self.eventEnd(pending) {
                            let block = String(decoding: pending[..<end], as: UTF8.self)
                            pending.removeFirst(end + 2)
                            for line in block.split(separator: "\n") where line.hasPrefix("data:") {
                                let json = line.dropFirst(5).trimmingCharacters(in: .whitespaces)
                                continuation.yield(try APIJSON.decoder.decode(ProgressEvent.self, from: Data(json.utf8)))
                            }
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    static func eventEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2 else { return nil }
        for i in 0..<(bytes.count - 1) where bytes[i] == 10 && bytes[i + 1] == 10 { return i }
        return nil
    }
}

/// A file's bytes as an asynchronous sequence of chunks, read one at a time as the consumer asks for them.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    let chunkSize = 1 << 20
    /// Called with the bytes handed out before each new chunk is read, and with the total at the end.
    let progress: @Sendable (Int64) -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        let chunks: FileChunks
        var handle: FileHandle?
        var handedOut: Int64 = 0
        var finished = false

        mutating func next() async throws -> ByteBuffer? {
            guard !finished else { return nil }
            if handle == nil {
                guard let opened = FileHandle(forReadingAtPath: chunks.path) else {
                    throw ClientError.localFile(FileProblem.cannotRead(chunks.path))
                }
                handle = opened
            }
            // Asked for the next chunk: the connection has taken the one before.
            chunks.progress(handedOut)
            let data: Data?
            do { data = try handle?.read(upToCount: chunks.chunkSize) } catch {
                throw ClientError.localFile("cannot read \(chunks.path): \(error.localizedDescription)")
            }
            guard let data, !data.isEmpty else {
                finished = true
                try? handle?.close()
                return nil
            }
            handedOut += Int64(data.count)
            return ByteBuffer(bytes: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: self) }
}
