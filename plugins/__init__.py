"""Plugins bundled with Cunwu. Each folder is one plugin, declared in the `cunwu` entry-point group."""
