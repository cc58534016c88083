public enum WardenTestingMarker {}
