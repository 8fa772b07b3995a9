/// The version this Connect runtime reports (`GET /`, `/connector-plugins`): the Kafka release whose Connect it
/// implements, and a commit id naming this implementation.
public enum ConnectVersion {
    public static let kafka = "2.8.2"
    public static let commit = "swiftkafka"
}
