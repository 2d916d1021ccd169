"""Print templates (documents of kind ``print``) rendered to PDF with Chinese text.

``compile_prints`` checks the templates at publish time; ``render_pdf`` prints one record with
a template, or with a generic layout (every field of the form) when there is none;
``render_label`` draws a shipping label (waybill barcode) for scan to ship.
"""

from sunmao.printing.label import render_label
from sunmao.printing.layout import PrintLayout, compile_prints, generic_layout
from sunmao.printing.pdf import render_pdf, render_pdfs

__all__ = ["PrintLayout", "compile_prints", "generic_layout", "render_label", "render_pdf", "render_pdfs"]
