import NIOCore
import NIOHTTP1

/// The answers the proxy gives itself when metering stops a request, in the error shape of the
/// client's auth style: OpenAI's for Bearer keys, Anthropic's for `x-api-key`.
package enum MeteringReply {
    case missingKey, invalidKey, insufficientBalance, ledgerError

    package var status: HTTPResponseStatus {
        switch self {
        case .missingKey, .invalidKey: .unauthorized
        case .insufficientBalance: .paymentRequired
        case .ledgerError: .internalServerError
        }
    }

    private var message: String {
        switch self {
        case .missingKey: "Missing API key. Pass your key as Authorization: Bearer KEY or x-api-key: KEY."
        case .invalidKey: "Invalid API key."
        case .insufficientBalance: "Insufficient balance. Please recharge your wallet."
        case .ledgerError: "The usage ledger could not be read. Please try again."
        }
    }

    /// The OpenAI-style `code`.
    private var code: String {
        switch self {
        case .missingKey: "missing_api_key"
        case .invalidKey: "invalid_api_key"
        case .insufficientBalance: "insufficient_balance"
        case .ledgerError: "db_error"
        }
    }

    /// The OpenAI-style `type`, which is also the Anthropic-style error type.
    private var type: String {
        switch self {
        case .missingKey, .invalidKey: "authentication_error"
        case .insufficientBalance: "billing_error"
        case .ledgerError: "api_error"
        }
    }

    package func body(for style: AuthStyle) -> ByteBuffer {
        // Every message and code is a fixed ASCII text without quotes or backslashes.
        switch style {
        case .bearer:
            ByteBuffer(string: #"{"error":{"message":"\#(message)","type":"\#(type)","param":null,"code":"\#(code)"}}"#)
        case .apiKey:
            ByteBuffer(string: #"{"type":"error","error":{"type":"\#(type)","message":"\#(message)"}}"#)
        }
    }
}
