/// One reason a reader schema cannot read data written with a writer schema (Avro Java's
/// `SchemaCompatibility.Incompatibility`); `description` is its `toString`, the text Confluent Schema Registry
/// returns as a verbose compatibility message.
public struct AvroIncompatibility: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case nameMismatch = "NAME_MISMATCH"
        case fixedSizeMismatch = "FIXED_SIZE_MISMATCH"
        case missingEnumSymbols = "MISSING_ENUM_SYMBOLS"
        case readerFieldMissingDefaultValue = "READER_FIELD_MISSING_DEFAULT_VALUE"
        case typeMismatch = "TYPE_MISMATCH"
        case missingUnionBranch = "MISSING_UNION_BRANCH"
    }

    public var kind: Kind
    /// A JSON pointer into the reader schema (`/fields/1/type`).
    public var location: String
    public var message: String
    public var readerFragment: String
    public var writerFragment: String

    public var description: String {
        "Incompatibility{type:\(kind.rawValue), location:\(location), message:\(message), reader:\(readerFragment), "
            + "writer:\(writerFragment)}"
    }
}

/// Avro's schema resolution as a check (Avro Java's `SchemaCompatibility.checkReaderWriterCompatibility`, rule for
/// rule): same primitives; promotions int→long→float→double and string↔bytes; named types by unqualified name or
/// a reader alias; reader fields found by name or alias, else needing a default (or an enum type with a default);
/// writer enum symbols present in the reader's unless it has a default; equal fixed sizes; every branch of a
/// writer union readable; some reader-union branch reading a writer that is not a union. A pair already being
/// checked (recursive types) counts as compatible. Returns every incompatibility, in Java's order.
public struct AvroCompatibility {
    let reader: AvroSchemaDocument
    let writer: AvroSchemaDocument
    private var inProgress: Set<String> = []
    private var done: [String: [AvroIncompatibility]] = [:]

    public static func check(reader: AvroSchemaDocument, writer: AvroSchemaDocument) -> [AvroIncompatibility] {
        var checker = AvroCompatibility(reader: reader, writer: writer)
        var location = [""]
        return checker.compatibility(reader.root, writer.root, &location)
    }

    init(reader: AvroSchemaDocument, writer: AvroSchemaDocument) {
        self.reader = reader
        self.writer = writer
    }

    mutating func compatibility(
        _ readerSchema: AvroSchema,
        _ writerSchema: AvroSchema,
        _ location: inout [String]
    ) -> [AvroIncompatibility] {
        let (r, w) = (reader.resolve(readerSchema), writer.resolve(writerSchema))
        // Named pairs are memoised (Java's memoize map keyed by the pair): recursion finds them compatible.
        let key = r.named.flatMap { readerNamed in
            w.named.map { "\(readerNamed.name.fullName)|\(r.typeName)|\($0.name.fullName)|\(w.typeName)" }
        }
        if let key {
            if let known = done[key] { return known }
            if inProgress.contains(key) { return [] }
            inProgress.insert(key)
        }
        let result = calculate(r, w, &location)
        if let key {
            inProgress.remove(key)
            done[key] = result
        }
        return result
    }

    mutating func calculate(_ r: AvroSchema, _ w: AvroSchema, _ location: inout [String]) -> [AvroIncompatibility] {
        switch (r, w) {
        case (.primitive(let a, _), .primitive(let b, _)) where a == b:
            return []
        case (.array(let readerItems, _), .array(let writerItems, _)):
            return nested("items", readerItems, writerItems, &location)
        case (.map(let readerValues, _), .map(let writerValues, _)):
            return nested("values", readerValues, writerValues, &location)
        case (.fixed(let readerNamed, let readerSize), .fixed(let writerNamed, let writerSize)):
            var result = names(readerNamed, writerNamed, r, w, &location)
            if readerSize != writerSize {
                result.append(
                    incompatible(
                        .fixedSizeMismatch,
                        "expected: \(writerSize), found: \(readerSize)",
                        r,
                        w,
                        location + ["size"]
                    )
                )
            }
            return result
        case (
            .enumeration(let readerNamed, let readerSymbols, let readerDefault),
            .enumeration(let writerNamed, let writerSymbols, _)
        ):
            var result = names(readerNamed, writerNamed, r, w, &location)
            let missing = Set(writerSymbols).subtracting(readerSymbols).sorted()
            if !missing.isEmpty && !(readerDefault.map(readerSymbols.contains) ?? false) {
                result.append(
                    incompatible(
                        .missingEnumSymbols,
                        "[\(missing.joined(separator: ", "))]",
                        r,
                        w,
                        location + ["symbols"]
                    )
                )
            }
            return result
        case (.record(let readerNamed, let readerFields, _), .record(let writerNamed, let writerFields, _)):
            var result = names(readerNamed, writerNamed, r, w, &location)
            location.append("fields")
            for (index, field) in readerFields.enumerated() {
                location.append(String(index))
                if let writerField = Self.writerField(for: field, in: writerFields) {
                    result += nested("type", field.type, writerField.type, &location)
                } else if field.defaultValue == nil {
                    if case .enumeration(_, _, let defaultSymbol?) = reader.resolve(field.type), !defaultSymbol.isEmpty
                    {
                        result += nested("type", field.type, w, &location)
                    } else {
                        result.append(incompatible(.readerFieldMissingDefaultValue, field.name, r, w, location))
                    }
                }
                location.removeLast()
            }
            location.removeLast()
            return result
        case (.union, .union(let writerBranches)):
            var result: [AvroIncompatibility] = []
            for (index, branch) in writerBranches.enumerated() {
                location.append(String(index))
                // Java asks this (and the two cases below) as a new question, from the root.
                var fresh = [""]
                if !compatibility(r, branch, &fresh).isEmpty {
                    let type = writer.resolve(branch).typeName
                    result.append(
                        incompatible(.missingUnionBranch, "reader union lacking writer type: \(type)", r, w, location)
                    )
                }
                location.removeLast()
            }
            return result
        case (_, .union(let writerBranches)):
            // A reader that is not a union reads a writer union when it reads every branch.
            return writerBranches.flatMap { branch in
                var fresh = [""]
                return compatibility(r, branch, &fresh)
            }
        case (.union(let readerBranches), _):
            for branch in readerBranches {
                var fresh = [""]
                if compatibility(branch, w, &fresh).isEmpty { return [] }
            }
            return [
                incompatible(.missingUnionBranch, "reader union lacking writer type: \(w.typeName)", r, w, location)
            ]
        case (.primitive(let a, _), .primitive(let b, _)) where Self.promotes(b, to: a):
            return []
        default:
            return [
                incompatible(
                    .typeMismatch,
                    "reader type: \(r.typeName) not compatible with writer type: \(w.typeName)",
                    r,
                    w,
                    location
                )
            ]
        }
    }

    mutating func nested(
        _ token: String,
        _ readerSchema: AvroSchema,
        _ writerSchema: AvroSchema,
        _ location: inout [String]
    ) -> [AvroIncompatibility] {
        location.append(token)
        defer { location.removeLast() }
        return compatibility(readerSchema, writerSchema, &location)
    }

    func names(
        _ readerNamed: AvroNamedType,
        _ writerNamed: AvroNamedType,
        _ r: AvroSchema,
        _ w: AvroSchema,
        _ location: inout [String]
    ) -> [AvroIncompatibility] {
        if readerNamed.name.name == writerNamed.name.name || readerNamed.aliases.contains(writerNamed.name) {
            return []
        }
        return [incompatible(.nameMismatch, "expected: \(writerNamed.name.fullName)", r, w, location + ["name"])]
    }

    static func writerField(for field: AvroField, in writerFields: [AvroField]) -> AvroField? {
        if let direct = writerFields.first(where: { $0.name == field.name }) { return direct }
        for alias in field.aliases {
            if let aliased = writerFields.first(where: { $0.name == alias }) { return aliased }
        }
        return nil
    }

    static func promotes(_ writer: AvroPrimitive, to reader: AvroPrimitive) -> Bool {
        switch (writer, reader) {
        case (.int, .long), (.int, .float), (.int, .double), (.long, .float), (.long, .double), (.float, .double),
            (.string, .bytes), (.bytes, .string):
            true
        default: false
        }
    }

    func incompatible(
        _ kind: AvroIncompatibility.Kind,
        _ message: String,
        _ r: AvroSchema,
        _ w: AvroSchema,
        _ location: [String]
    ) -> AvroIncompatibility {
        // JSON pointer escaping of each token.
        let path = location.dropFirst().map { token in
            token.reduce(into: "") { escaped, character in
                escaped += character == "~" ? "~0" : character == "/" ? "~1" : String(character)
            }
        }
        return AvroIncompatibility(
            kind: kind,
            location: "/" + path.joined(separator: "/"),
            message: message,
            readerFragment: reader.canonicalText(of: r),
            writerFragment: writer.canonicalText(of: w)
        )
    }
}
