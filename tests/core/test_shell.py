from tests.factories import make_territory


def test_home_page_has_strict_security_headers(client):
    make_territory()
    response = client.get("/")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_unknown_host_is_not_found(client):
    make_territory()
    response = client.get("/", base_url="http://unknown.example")
    assert response.status_code == 404


def test_each_host_reaches_its_own_territory(client):
    make_territory("laciotat", "La Ciotat", hosts=("localhost",))
    make_territory("montgenevre", "Montgenèvre", hosts=("station.localhost",))
    assert "La Ciotat" in client.get("/").get_data(as_text=True)
    assert "Montgenèvre" in client.get("/", base_url="http://station.localhost").get_data(as_text=True)
