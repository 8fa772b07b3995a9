import Mustache

// The rows pages repeat by the thousand answer mustache's lookups by name directly (`MustacheParent`) instead of
// through reflection (`Mirror`), which costs about ten times more per field: a thousand messages or topics render
// in a few milliseconds. Each `child(named:)` names exactly the fields the templates use; any other name falls
// through to the enclosing context, as mustache requires.

extension MessagesPage.Message: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "partition": partition
        case "offset": offset
        case "time": time
        case "timestamp": timestamp
        case "key": key
        case "value": value
        case "headers": headers
        default: nil
        }
    }
}

extension MessagesPage.Rendered: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "format": format
        case "text": text
        default: nil
        }
    }
}

extension MessagesPage.Header: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "key": key
        case "value": value
        default: nil
        }
    }
}

extension TopicsPage.Topic: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "isInternal": isInternal
        case "partitions": partitions
        case "replicationFactor": replicationFactor
        case "underReplicated": underReplicated
        case "offline": offline
        case "messages": messages
        case "size": size
        case "sizeBytes": sizeBytes
        default: nil
        }
    }
}

extension PageView: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "page": page
        case "charts": charts
        case "canOperate": canOperate
        case "canAdmin": canAdmin
        case "csrf": csrf
        default: nil
        }
    }
}
