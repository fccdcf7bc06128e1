import Foundation
import Hummingbird
import NIOCore
import RNNAPI

extension Request {
    /// The body as a request type, checked strictly: a JSON object, no unknown fields, no null fields, every
    /// field of the right type, at most `limit` bytes.
    func decode<T: APIRequest>(_ type: T.Type, limit: Int) async throws -> T {
        try refuseDeclaredLength(above: limit, "the request body is larger than \(limit) bytes")
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch {
            throw APIFailure(.contentTooLarge, "the request body is larger than \(limit) bytes")
        }
        let data = Data(buffer.readableBytesView)
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            throw APIFailure.badRequest("the request body is not valid JSON: \(Self.reason(error))")
        }
        guard let object = parsed as? [String: Any] else { throw APIFailure.badRequest("the request body is not a JSON object") }
        if let unknown = object.keys.sorted().first(where: { !T.fields.contains($0) }) {
            throw APIFailure.badRequest("unknown field \"\(unknown)\" (known: \(T.fields.sorted().joined(separator: ", ")))", field: unknown)
        }
        // The document has no nullable field: a null is refused, not read as "left out".
        if let null = object.keys.sorted().first(where: { object[$0] is NSNull }) {
            throw APIFailure.badRequest("field \"\(null)\" is null; leave it out to take its default", field: null)
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

    /// A 413 at once for a body whose declared Content-Length is over `limit`, before any of it is read (a
    /// client announcing 10 GB is not kept waiting, nor read from).
    func refuseDeclaredLength(above limit: Int, _ message: @autoclosure () -> String) throws {
        if let declared = headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw APIFailure(.contentTooLarge, message() + " (Content-Length \(declared))")
        }
    }

    /// Foundation's own words for a JSON syntax error (its position, or "Too many nested arrays or dictionaries").
    static func reason(_ error: Error) -> String {
        let info = (error as NSError).userInfo
        return (info[NSDebugDescriptionErrorKey] as? String) ?? (error as NSError).localizedDescription
    }

    static func snake(_ name: String) -> String {
        name.reduce(into: "") { out, c in
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
    }
}
