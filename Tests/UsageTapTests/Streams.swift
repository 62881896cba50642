/// Builds event streams for tests: each payload becomes `data: PAYLOAD` and a blank line.
func sse(_ payloads: String..., lineEnd: String = "\n") -> String {
    payloads.map { "data: \($0)\(lineEnd)\(lineEnd)" }.joined()
}
