""".nla session files: JSON data, validated, written atomically."""
