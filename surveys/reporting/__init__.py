"""Reports people can hand on: the SLA summary as XLSX/CSV, trend charts as PNG.

Platform-free: the use case (``files.ReportFiles``) takes parsed arguments and returns a
``Document`` (bytes, file name, MIME type); adapters only deliver it.
"""
