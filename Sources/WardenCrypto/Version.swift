public enum WardenCryptoVersion { public static let current = "0.1.0" }
