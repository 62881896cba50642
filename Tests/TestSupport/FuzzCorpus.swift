import Foundation

/// The committed fuzz inputs: `Fuzz/corpus/TARGET/` (what the fuzzer kept for coverage) and
/// `Fuzz/failcases/TARGET/` (every crash, hang or oracle failure it ever found).
public enum FuzzCorpus {
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    /// Every corpus file and failcase of `target`, as (name, bytes).
    public static func inputs(of target: String) -> [(name: String, bytes: [UInt8])] {
        ["corpus", "failcases"].flatMap { folder -> [(name: String, bytes: [UInt8])] in
            let directory = root.appendingPathComponent(folder).appendingPathComponent(target)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            return names.sorted().compactMap { name in
                guard !name.hasPrefix("."), name != "README.md",
                      let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path)
                else { return nil }
                return ("\(folder)/\(target)/\(name)", [UInt8](data))
            }
        }
    }
}
