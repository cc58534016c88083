import Hummingbird
import NIOCore
import WardenCore

/// Sends a file as a response body in 1 MiB pieces (never loaded whole).
enum FileStreaming {
    static func write(_ path: String, to writer: inout any ResponseBodyWriter) async throws {
        var chunks: [ByteBuffer] = []
        var offset: Int64 = 0
        let size = try FileIO.size(of: path)
        while offset < size {
            let end = min(size, offset + Int64(FileIO.defaultChunkSize))
            chunks.removeAll(keepingCapacity: true)
            try FileIO.forEachChunk(of: path, range: offset..<end) { chunks.append(ByteBuffer(bytes: $0)) }
            for chunk in chunks { try await writer.write(chunk) }
            offset = end
        }
        try await writer.finish(nil)
    }
}
