"""The settings: their shape, the one table that parses them, profiles, and resolving
defaults < file < environment < command line."""
