import ArgumentParser

@main
struct AdminCommand: AsyncParsableCommand {
    func run() async throws {}
}
