from tests import factories


def test_the_home_page_lists_a_published_article(client, home):
    factories.article(title="抗洪一线的坚守")
    response = client.get("/")
    assert response.status_code == 200
    assert "抗洪一线的坚守" in response.content.decode()
