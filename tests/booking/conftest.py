import pytest

from tests.booking.flow import registered_title
from tests.factories import ProcedureFactory, SiteFactory, SlotFactory


@pytest.fixture
def renewal():
    return ProcedureFactory(slug="renouvellement", name_fr="Renouvellement")


@pytest.fixture
def slot(renewal):
    return SlotFactory(procedure=renewal, capacity=2, site=SiteFactory(name="Orléans"))


@pytest.fixture
def title():
    """The applicant's record in the register (tests.booking.flow.IDENTITY)."""
    return registered_title()
