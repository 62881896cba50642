import Foundation
import Testing
import TestSupport

/// `Embedding/lua/usagetap.lua` in OpenResty's `body_filter_by_lua` (Debian's
/// libnginx-mod-http-lua): every recorded fixture, proxied chunked, gives its expected record.
@Suite(.enabled(if: Embedding.libraryFolder != nil, Embedding.noLibrary),
       .enabled(if: RecordedFixtures.isAvailable, RecordedFixtures.skipReason))
struct LuaBindingTests {
    static let modules = ["/usr/lib/nginx/modules/ndk_http_module.so", "/usr/lib/nginx/modules/ngx_http_lua_module.so"]

    @Test func theLuaBindingInABodyFilterGivesEveryFixturesExpectedRecord() throws {
        for module in Self.modules where !FileManager.default.fileExists(atPath: module) {
            throw Embedding.MissingProgram(description: "\(module) is missing (./test installs libnginx-mod-http-lua)")
        }
        let folder = try ScratchFolder("lua-binding")
        let upstream = try FixtureUpstream(folder: folder)
        let nginx = try NginxUnderTest(folder: folder, modules: Self.modules, http: """
            lua_package_path "\(Embedding.path("Embedding/lua"))/?.lua;;";
            log_format usage escape=none '$uri $usagetap_record';
            access_log \(folder.url.path)/logs/access.log usage;
            server {
                listen 127.0.0.1:PORT;
                location / {
                    set $usagetap_record '-';
                    proxy_pass http://127.0.0.1:\(upstream.port);
                    proxy_http_version 1.1;
                    header_filter_by_lua_block {
                        local usagetap = require "usagetap"
                        ngx.ctx.tap = usagetap.new(usagetap.protocol_for_path(ngx.var.uri))
                    }
                    body_filter_by_lua_block {
                        local tap = ngx.ctx.tap
                        if tap then
                            tap:feed(ngx.arg[1])
                            if ngx.arg[2] then
                                tap:finish()
                                ngx.var.usagetap_record = tap:record_json()
                            end
                        end
                    }
                }
            }
            """, environment: ["USAGETAP_LIBRARY": Embedding.library])
        let fixtures = RecordedFixtures.all()
        for fixture in fixtures {
            let body = try nginx.get("/chunked/\(fixture.name).sse")
            #expect(body == fixture.stream, "\(fixture.name)")
        }
        let lines = nginx.lines(of: "access.log", atLeast: fixtures.count)
        #expect(lines.count == fixtures.count, "\(nginx.errorLog.suffix(2000))")
        var records: [String: Substring] = [:]
        for line in lines {
            guard let space = line.firstIndex(of: " ") else { continue }
            records[String(line[..<space])] = line[line.index(after: space)...]
        }
        for fixture in fixtures {
            let record = records["/chunked/\(fixture.name).sse"].flatMap { RecordJSON.parse($0) }
            #expect(record != nil, "\(fixture.name): \(records["/chunked/\(fixture.name).sse"] ?? "no line")")
            for (key, expected) in fixture.expected {
                #expect(record?[key] == expected, "\(fixture.name): \(key)")
            }
        }
    }
}
