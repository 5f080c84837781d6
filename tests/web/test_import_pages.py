"""Importing units from the web: upload, a progress page, and the result or every error."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dalun.org.models import ImportJob, Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """Post a file to the import page; the task queued on commit runs inline before this returns."""

    def post(client, content: bytes, name: str = "units.csv", encoding: str = "utf-8"):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                "/units/import/", {"file": SimpleUploadedFile(name, content), "encoding": encoding}
            )

    return post


def test_import_page_is_only_for_those_who_may_import(client, client_as):
    assert client_as("xiaodian_clerk").get("/units/import/").status_code == 403
    assert client_as("xiaodian_head").get("/units/import/").status_code == 200
    assert client.get("/units/import/").status_code == 302


def test_good_upload_is_imported_and_the_job_page_reports_it(client_as, upload):
    office = client_as("office")
    response = upload(office, "code,name,parent_code,kind\nW1,网上导入单位,140105,department\n".encode())
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert response["Location"] == f"/units/import/{job.pk}/"
    assert job.status == ImportJob.Status.DONE and job.rows_imported == 1
    page = office.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 unit imported." in page and 'value="100"' in page
    assert Unit.objects.filter(code="W1").exists()


def test_bad_upload_lists_every_error_and_imports_nothing(client_as, upload):
    office = client_as("office")
    content = "code,name,parent_code,kind\nB1,,140105,department\nB2,好,NOPE,department\n".encode()
    response = upload(office, content)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "name"), (3, "parent_code")]
    page = office.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2 errors" in page and "NOPE" in page
    assert not Unit.objects.filter(code__in=["B1", "B2"]).exists()


def test_errors_are_written_in_the_uploaders_language(client_as, upload):
    office = client_as("office")
    office.post("/i18n/setlang/", {"language": "zh-hans"})
    upload(office, b"code,name,parent_code,kind\nB1,,140105,department\n")
    assert ImportJob.objects.get().errors[0]["message"] == "缺少名称。"


def test_progress_fragment_polls_until_done(client_as, persona):
    office = client_as("office")
    job = ImportJob.objects.create(created_by=persona("office"), original_name="x.csv", file="x.csv")
    fragment = office.get(f"/units/import/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 500ms"' in fragment and "<html" not in fragment


def test_someone_elses_import_is_not_found(client_as, upload):
    upload(client_as("office"), "code,name,parent_code,kind\nW9,某单位,140105,department\n".encode())
    job = ImportJob.objects.get()
    assert client_as("xiaodian_head").get(f"/units/import/{job.pk}/").status_code == 404


def test_oversized_upload_is_refused_with_a_message(client_as, upload, settings):
    settings.DALUN_IMPORT_MAX_BYTES = 10
    response = upload(client_as("office"), b"code,name,parent_code,kind\n")
    assert response.status_code == 200 and response.context["form"].errors["file"]
    assert not ImportJob.objects.exists()
