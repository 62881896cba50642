import Foundation
import Workloads

// write-workloads DIRECTORY [SCALE]: writes each workload's bytes to DIRECTORY/NAME.sse and a
// manifest, one JSON object per line, so that peers outside Swift read the very same bytes.
let arguments = CommandLine.arguments.dropFirst()
guard let directory = arguments.first else {
    FileHandle.standardError.write(Data("usage: write-workloads DIRECTORY [SCALE]\n".utf8))
    exit(2)
}
let scale = arguments.dropFirst().first.flatMap(Double.init) ?? 1
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
var manifest = ""
for workload in Workload.all(scale: scale) {
    let path = "\(directory)/\(workload.name).sse"
    try Data(workload.bytes).write(to: URL(fileURLWithPath: path))
    let expected = workload.expected
    manifest += #"{"name":"\#(workload.name)","path":"\#(path)","bytes":\#(workload.bytes.count),"events":\#(workload.events),"slice_bytes":\#(workload.sliceSize),"input_tokens":\#(expected.inputTokens ?? 0),"output_tokens":\#(expected.outputTokens ?? 0)}"# + "\n"
}
try Data(manifest.utf8).write(to: URL(fileURLWithPath: "\(directory)/manifest.jsonl"))
