import KafkaConnect

/// Connect's logical types as the text PostgreSQL reads them back from (`2026-01-01 00:00:01.001` for a Timestamp,
/// `2026-01-01` for a Date, `00:00:01.001` for a Time, `-12.345` for a Decimal), all in UTC.
enum PostgresText {
    /// The text of `value` when `schema` is a logical type; nil for the others.
    static func logical(_ value: ConnectValue, _ schema: ConnectSchema) throws(ConnectDataError) -> String? {
        switch (schema.name, value) {
        case (ConnectSchema.timestampName, .int64(let millis)):
            return timestamp(millis)
        case (ConnectSchema.dateName, .int32(let days)):
            return date(days: Int64(days))
        case (ConnectSchema.timeName, .int32(let millis)):
            return time(Int64(millis))
        case (ConnectSchema.decimalName, .bytes(let unscaled)):
            return try decimal(unscaled, scale: Int(schema.parameters?["scale"] ?? "0") ?? 0)
        case (ConnectSchema.timestampName, _), (ConnectSchema.dateName, _), (ConnectSchema.timeName, _),
            (ConnectSchema.decimalName, _):
            throw ConnectDataError("\(schema.name ?? "") value of the wrong type: \(value.schemaType)")
        default:
            return nil
        }
    }

    static func timestamp(_ millis: Int64) -> String {
        let days = millis >= 0 ? millis / 86_400_000 : (millis - 86_399_999) / 86_400_000
        return date(days: days) + " " + time(millis - days * 86_400_000)
    }

    /// Howard Hinnant's civil-from-days.
    static func date(days: Int64) -> String {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
    }

    static func time(_ millisOfDay: Int64) -> String {
        let seconds = millisOfDay / 1000
        return pad(seconds / 3600, 2) + ":" + pad(seconds / 60 % 60, 2) + ":" + pad(seconds % 60, 2) + "."
            + pad(millisOfDay % 1000, 3)
    }

    /// A two's-complement big-endian unscaled value of up to 8 bytes, with `scale` digits after the point.
    static func decimal(_ unscaled: [UInt8], scale: Int) throws(ConnectDataError) -> String {
        guard !unscaled.isEmpty, unscaled.count <= 8 else {
            throw ConnectDataError("Decimal values of more than 18 digits are not written to PostgreSQL yet")
        }
        var number: Int64 = unscaled[0] & 0x80 != 0 ? -1 : 0
        for byte in unscaled { number = number << 8 | Int64(byte) }
        var digits = String(number.magnitude)
        if scale > 0 {
            digits = String(repeating: "0", count: max(0, scale + 1 - digits.count)) + digits
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
        }
        return (number < 0 ? "-" : "") + digits
    }

    private static func pad(_ number: Int64, _ width: Int) -> String {
        let text = String(number)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
