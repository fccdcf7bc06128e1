import Foundation
import Hummingbird
import RNNAPI
import RNNStore
import RNNTraining

/// A request that cannot be served: its status and a JSON body naming the problem (and the field).
struct APIFailure: HTTPResponseError {
    let status: HTTPResponse.Status
    let body: APIErrorBody

    init(_ status: HTTPResponse.Status, _ message: String, field: String? = nil) {
        self.status = status
        body = APIErrorBody(error: message, field: field)
    }

    static func badRequest(_ message: String, field: String? = nil) -> APIFailure { APIFailure(.badRequest, message, field: field) }
    static func notFound(_ message: String) -> APIFailure { APIFailure(.notFound, message) }
    static func conflict(_ message: String) -> APIFailure { APIFailure(.conflict, message) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.make(body, status: status)
    }

    /// The failure an error of a lower layer means for a client.
    static func from(_ error: Error) -> APIFailure {
        switch error {
        case let error as APIFailure: return error
        case let error as TrainingError:
            switch error.code {
            case .invalidConfig, .invalidData: return .badRequest(error.message, field: error.key)
            case .invalidCheckpoint: return APIFailure(.unprocessableContent, error.message)
            default: return APIFailure(.internalServerError, error.message)
            }
        case let error as StoreError:
            switch error.code {
            case .notFound: return .notFound(error.message)
            case .badFilter: return .badRequest(error.message, field: "filter")
            case .conflict: return .conflict(error.message)
            default: return APIFailure(.internalServerError, error.message)
            }
        case let error as HTTPError:
            return APIFailure(error.status, error.body ?? error.status.reasonPhrase)
        default:
            return APIFailure(.internalServerError, "\(error)")
        }
    }
}

/// Turns every error a route throws into the API's JSON error body.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let failure = APIFailure.from(error)
            if failure.status.code >= 500 { context.logger.error("\(request.method) \(request.uri.path): \(failure.body.error)") }
            return JSONResponse.make(failure.body, status: failure.status)
        }
    }
}

enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? APIJSON.encoder.encode(value)) ?? Data(#"{"error":"the answer could not be encoded"}"#.utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension Request {
    /// The body as a request type, checked strictly: a JSON object, no unknown fields, every field of the
    /// right type, at most `limit` bytes.
    func decode<T: APIRequest>(_ type: T.Type, limit: Int) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch {
            throw APIFailure(.contentTooLarge, "the request body is larger than \(limit) bytes")
        }
        let data = Data(buffer.readableBytesView)
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw APIFailure.badRequest("the request body is not a JSON object")
        }
        if let unknown = object.keys.sorted().first(where: { !T.fields.contains($0) }) {
            throw APIFailure.badRequest("unknown field \"\(unknown)\" (known: \(T.fields.sorted().joined(separator: ", ")))", field: unknown)
        }
        do {
            return try APIJSON.decoder.decode(T.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            let name = Self.snake(key.stringValue)
            throw APIFailure.badRequest("missing field \"\(name)\"", field: name)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let name = context.codingPath.map { Self.snake($0.stringValue) }.joined(separator: ".")
            throw APIFailure.badRequest("field \"\(name)\" has the wrong type: \(context.debugDescription)", field: name)
        } catch let DecodingError.dataCorrupted(context) {
            let name = context.codingPath.map { Self.snake($0.stringValue) }.joined(separator: ".")
            throw APIFailure.badRequest("field \"\(name)\": \(context.debugDescription)", field: name)
        }
    }

    static func snake(_ name: String) -> String {
        name.reduce(into: "") { out, c in
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
    }
}
