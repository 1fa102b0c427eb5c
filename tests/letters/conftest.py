import pytest

from tests.review.scenario import OpeningFactory, employer, reviewer, senior


@pytest.fixture
def opening(db):
    return OpeningFactory()


@pytest.fixture
def team(opening):
    """An employer, a reviewer and a senior reviewer of the opening's scheme."""
    scheme = opening.scheme
    return {
        "employer": employer(),
        "reviewer": reviewer([scheme], username="bart"),
        "senior": senior([scheme], username="sanne"),
    }
