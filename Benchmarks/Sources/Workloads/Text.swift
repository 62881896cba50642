/// Deterministic prose for the generated streams: the same words, escapes and non-ASCII text
/// in every run, so that every contender and every run reads identical bytes.
enum Text {
    /// JSON string contents, already escaped: mostly words, with the escapes and UTF-8 that
    /// real completions carry.
    private static let pieces: [String] = [
        " the", " usage", " of", " tokens", " is", " reported", " at", " the", " end", ".",
        " Streaming", " responses", " carry", " \\\"quoted\\\"", " text", ",", " and", " new",
        "\\n\\n", " lines", " with", " café", " naïve", " 東京", " résumé", " 😀", " code", ":",
        " `let", " x", " =", " 42`", "\\n", " -", " bullet", " items", " {braces}", " [brackets]",
        " \\\\path", " tab\\t", " done", " maybe", " because", " however", " therefore",
    ]

    /// The `index`-th piece: one to three pieces, stepping through the list irregularly.
    static func delta(_ index: Int) -> String {
        let first = pieces[(index &* 7 &+ index / 5) % pieces.count]
        switch index % 4 {
        case 0: return first + pieces[(index &* 3 &+ 1) % pieces.count]
        case 1: return first + pieces[(index &+ 11) % pieces.count] + pieces[(index &* 5) % pieces.count]
        default: return first
        }
    }

    /// A longer run of text, as Gemini sends it: several pieces per chunk.
    static func paragraph(_ index: Int, pieces count: Int) -> String {
        (0..<count).map { delta(index &* count &+ $0) }.joined()
    }

    /// A fixed-width identifier suffix, as providers put in ids.
    static func identifier(_ index: Int, length: Int = 24) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var value = UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15 | 1
        return String((0..<length).map { _ in
            value = value &* 6364136223846793005 &+ 1442695040888963407
            return alphabet[Int(value >> 58) % alphabet.count]
        })
    }
}
