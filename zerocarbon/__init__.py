"""zerocarbon: the command line and the wiring of services. The only package that connects the others."""

__version__ = "0.1.0"
