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
            case .conflict, .lostRace: return .conflict(error.message)
            default: return APIFailure(.internalServerError, error.message)
            }
        case let error as HTTPError:
            return APIFailure(error.status, error.body ?? error.status.reasonPhrase)
        default:
            return APIFailure(.internalServerError, "\(error)")
        }
    }
}
