import Testing
import TestSupport
@testable import TapProxy

@Suite struct UpstreamAddressTests {
    @Test func anHTTPSAddressDefaultsToPort443AndKeepsItsPathPrefix() throws {
        let address = try UpstreamAddress("https://api.example.com/openai/")
        #expect(address.isSecure)
        #expect(address.host == "api.example.com")
        #expect(address.port == 443)
        #expect(address.pathPrefix == "/openai")
        #expect(address.authority == "api.example.com")
    }

    @Test func anIPv6AddressWithAPortIsBracketedInTheAuthority() throws {
        let address = try UpstreamAddress("http://[::1]:8080")
        #expect(address.host == "::1")
        #expect(address.port == 8080)
        #expect(address.authority == "[::1]:8080")
    }

    @Test func addressesWithoutASchemeOrHostAreRejected() {
        #expect(throws: UpstreamAddress.InvalidAddress.self) { try UpstreamAddress("api.example.com") }
        #expect(throws: UpstreamAddress.InvalidAddress.self) { try UpstreamAddress("http://:80") }
        #expect(throws: UpstreamAddress.InvalidAddress.self) { try UpstreamAddress("ftp://host") }
        #expect(throws: UpstreamAddress.InvalidAddress.self) { try UpstreamAddress("http://host:99999") }
    }
}
