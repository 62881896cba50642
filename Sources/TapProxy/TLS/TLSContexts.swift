internal import COpenSSL

/// A failure to set TLS up: a certificate or key that does not load, a CA file that is missing.
public struct TLSSetupError: Error, CustomStringConvertible {
    public var description: String

    init(_ what: String) {
        description = "\(what): \(TLSSetupError.openSSLErrors())"
    }

    /// OpenSSL's queued error messages, emptied.
    static func openSSLErrors() -> String {
        var messages: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var text = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &text, text.count)
            messages.append(String(decoding: text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.isEmpty ? "no detail from OpenSSL" : messages.joined(separator: "; ")
    }
}

/// The server's TLS settings, shared by every client connection: the certificate, and ALPN
/// choosing `h2` over `http/1.1` when the client offers both.
final class TLSServerContext: @unchecked Sendable {
    // SSL_CTX is safe to share across threads once configured; it is never changed after init.
    let context: OpaquePointer

    init(_ files: ServerTLSFiles) throws {
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw TLSSetupError("SSL_CTX_new") }
        self.context = context
        _ = usagetap_ssl_ctx_set_min_tls12(context)
        guard SSL_CTX_use_certificate_chain_file(context, files.certificateChain) == 1 else {
            throw TLSSetupError("cannot load certificate \(files.certificateChain)")
        }
        guard SSL_CTX_use_PrivateKey_file(context, files.privateKey, SSL_FILETYPE_PEM) == 1,
              SSL_CTX_check_private_key(context) == 1
        else { throw TLSSetupError("cannot load private key \(files.privateKey)") }
        SSL_CTX_set_alpn_select_cb(context, { _, out, outLength, offered, offeredLength, _ in
            // Prefer h2, then http/1.1; the chosen name points into the client's own list.
            guard let offered, let out, let outLength else { return SSL_TLSEXT_ERR_NOACK }
            let list = UnsafeBufferPointer(start: offered, count: Int(offeredLength))
            for wanted in ["h2", "http/1.1"] {
                var index = 0
                while index < list.count {
                    let length = Int(list[index])
                    let start = index + 1
                    guard start + length <= list.count else { break }
                    if length == wanted.utf8.count, list[start..<start + length].elementsEqual(wanted.utf8) {
                        out.pointee = offered + start
                        outLength.pointee = UInt8(length)
                        return SSL_TLSEXT_ERR_OK
                    }
                    index = start + length
                }
            }
            return SSL_TLSEXT_ERR_NOACK
        }, nil)
    }

    deinit {
        SSL_CTX_free(context)
    }
}

/// The upstream's TLS settings: verification against the system's CA store (plus
/// `--upstream-ca`), and the ALPN names to offer.
final class TLSClientContext: @unchecked Sendable {
    // Configured once in init and only read afterwards, from any loop.
    let context: OpaquePointer

    init(additionalCA: String?, version: UpstreamVersion) throws {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw TLSSetupError("SSL_CTX_new") }
        self.context = context
        _ = usagetap_ssl_ctx_set_min_tls12(context)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        guard SSL_CTX_set_default_verify_paths(context) == 1 else { throw TLSSetupError("cannot read the system CA store") }
        if let additionalCA {
            guard SSL_CTX_load_verify_locations(context, additionalCA, nil) == 1 else {
                throw TLSSetupError("cannot load CA certificate \(additionalCA)")
            }
        }
        let names: [String] = switch version {
        case .negotiate: ["h2", "http/1.1"]
        case .http2: ["h2"]
        case .http1: ["http/1.1"]
        }
        let wire = names.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
        // Returns 0 on success, unlike most of OpenSSL.
        guard SSL_CTX_set_alpn_protos(context, wire, UInt32(wire.count)) == 0 else { throw TLSSetupError("ALPN") }
    }

    deinit {
        SSL_CTX_free(context)
    }
}
