import MeteringPolicy

/// The metering policy's credentials as a request head's fields: the customer's key read where
/// it lies, and swapped for the upstream's credential.
extension HeaderFields {
    /// Calls `body` with the customer's key (nil when the request carries none), valid for the
    /// call, and the way it was carried (``CustomerCredential/key(apiKey:authorization:)``).
    func withCustomerKey<R>(_ body: (UnsafeRawBufferPointer?, AuthStyle) -> R) -> R {
        withValue(of: "x-api-key") { apiKey in
            withValue(of: "authorization") { authorization in
                let (key, style) = CustomerCredential.key(apiKey: apiKey, authorization: authorization)
                return body(key, style)
            }
        }
    }

    /// Takes every customer credential out of headers about to go upstream.
    mutating func removeCustomerCredentials() {
        for name in CustomerCredential.fieldNames { remove(name) }
    }

    /// Adds the upstream's credential to headers that carry none (see
    /// ``removeCustomerCredentials()``).
    mutating func add(_ credential: UpstreamCredential) {
        append(name: credential.name, value: credential.value)
    }
}
