"""forewarn: fail the pull request that would repeat a known production outage."""
__version__ = "0.1.0"
