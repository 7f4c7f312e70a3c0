"""The document type a file name or the borrower's words suggest (staff confirm it)."""

import pytest

from core.applications.models import ApplicationDocumentType as Kind
from tools.documents import document_kind


@pytest.mark.parametrize(("hints", "kind"), [
    (("payslip-nov.png", ""), Kind.PAYSLIP),
    (("IMG_2041.jpg", "here is my pay slip"), Kind.PAYSLIP),
    (("Republic_Bank_statement.pdf", ""), Kind.BANK_STATEMENT),
    (("scan.pdf", "my national ID"), Kind.ID),
    (("passport.jpg", ""), Kind.ID),
    (("T&TEC-bill.pdf", ""), Kind.PROOF_OF_ADDRESS),
    (("IMG_2042.jpg", "see attached"), Kind.OTHER),
    (("video.pdf", "my ideas"), Kind.OTHER),
])
def test_document_kind(hints: tuple[str, str], kind: Kind) -> None:
    assert document_kind(*hints) is kind
