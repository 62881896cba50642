import ArgumentParser
import UsageTap

extension ProtocolSelection: ExpressibleByArgument {
    public init?(argument: String) {
        if argument == "auto" {
            self = .auto
        } else if let fixed = APIProtocol(rawValue: argument) {
            self.init(fixed)
        } else {
            return nil
        }
    }

    public static var allValueStrings: [String] { ["auto"] + APIProtocol.allCases.map(\.rawValue) }

    public var defaultValueDescription: String { fixed?.rawValue ?? "auto" }
}
