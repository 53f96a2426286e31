"""Validation and loading: raw tables -> accepted, fixed and rejected rows, geocoded."""

from umkm_alloc.inputs.load import FileCounts, Inputs, load_inputs

__all__ = ["FileCounts", "Inputs", "load_inputs"]
