using Platform.Tests.Batch;

namespace Platform.Tests.Admin;

/// <summary>
/// The admin page in a real browser (headless Chromium): sign in with the admin secret, filter by a tenant,
/// find that tenant's failed file with its reason and its events in the log. A screenshot is saved to
/// tests/Platform.Tests/TestResults/admin-page.png.
/// </summary>
public sealed class AdminPageTests
{
    [Fact]
    public async Task AnAdminSignsInFiltersByTenantAndFindsItsFailedFile()
    {
        await using var host = await PlatformHost.StartAsync();
        using var strict = await host.TenantAsync("strict_tenant");
        await strict.RegisterAsync("strict_tenant", Flows.DatasetA().With("on_error", "skip_file"), Flows.AgreementWithoutApp());
        await strict.UploadAsync("strict_tenant", "speed_tracking", "bad-morning.csv", MessyFile.Build());
        await strict.IngestAndWaitAsync("strict_tenant", "speed_tracking");
        using var other = await host.TenantAsync("easy_tenant");
        await other.RegisterAsync("easy_tenant", Flows.DatasetA(), Flows.AgreementWithoutApp());
        await other.UploadAsync("easy_tenant", "speed_tracking", "fine.csv", MessyFile.Build());
        await other.IngestAndWaitAsync("easy_tenant", "speed_tracking");

        await using var browser = await HeadlessChromium.StartAsync();
        await browser.NavigateAsync(new Uri(host.BaseAddress, "/admin"));
        // The form is parsed before the script at the end of the page binds it: a click in between submits
        // the form natively and reloads the page, so wait until the whole page has loaded.
        await browser.WaitForAsync("document.readyState === 'complete' && document.getElementById('secret') !== null", "the sign-in form, its script bound");

        await browser.EvaluateAsync("document.getElementById('secret').value = 'wrong'; document.getElementById('signin-button').click()");
        await browser.WaitForAsync("document.getElementById('signin-error').textContent.includes('not the admin secret')", "a refused sign-in");
        await browser.EvaluateAsync($"document.getElementById('secret').value = '{PlatformHost.AdminSecret}'; document.getElementById('signin-button').click()");
        await browser.WaitForAsync("[...document.querySelectorAll('#tenant-filter option')].some(o => o.value === 'strict_tenant')", "the tenants");

        await browser.EvaluateAsync("const s = document.getElementById('tenant-filter'); s.value = 'strict_tenant'; s.dispatchEvent(new Event('change'))");
        await browser.WaitForAsync(
            "[...document.querySelectorAll('#files tbody tr')].some(r => r.innerText.includes('bad-morning.csv') && r.innerText.includes('failed') && r.innerText.includes('on_error skip_file'))",
            "the tenant's failed file with its reason");
        await browser.WaitForAsync("[...document.querySelectorAll('#log tbody tr')].some(r => r.innerText.includes('file.failed'))", "the failure in the log");

        var files = (await browser.EvaluateAsync("document.getElementById('files').innerText"))!.GetValue<string>();
        Assert.DoesNotContain("fine.csv", files);
        var tenants = (await browser.EvaluateAsync("document.getElementById('tenants').innerText"))!.GetValue<string>();
        Assert.Contains("strict_tenant", tenants);
        Assert.DoesNotContain("easy_tenant", tenants);
        var log = (await browser.EvaluateAsync("document.getElementById('log').innerText"))!.GetValue<string>();
        Assert.DoesNotContain("easy_tenant", log);

        // The tenant's quarantine, with each row's rule and reason.
        await browser.WaitForAsync("[...document.querySelectorAll('#quarantine tbody tr')].some(r => r.innerText.includes('speed_tracking') && r.innerText.includes('type'))",
            "the tenant's quarantined rows");

        // Filters: an action and a word of the message; then the full document of the event that matched.
        await browser.EvaluateAsync("document.getElementById('action-filter').value = 'file.failed'; document.getElementById('search').value = 'ON_ERROR SKIP_FILE'; document.getElementById('apply-filters').click()");
        await browser.WaitForAsync("(() => { const rows = [...document.querySelectorAll('#log tbody tr')]; return rows.length === 1 && rows[0].innerText.includes('file.failed'); })()",
            "only the failure, found by a word of its message in another case");
        await browser.EvaluateAsync("document.querySelector('#log tbody tr').click()");
        await browser.WaitForAsync("!document.getElementById('event-detail').hidden && document.getElementById('event-detail').textContent.includes('\"event.action\": \"file.failed\"')",
            "the event's ECS document");
        await browser.ScreenshotAsync(Repo.Path("tests", "Platform.Tests", "TestResults", "admin-page.png"));

        // A time range with nothing in it says so.
        await browser.EvaluateAsync("document.getElementById('action-filter').value = ''; document.getElementById('search').value = ''; document.getElementById('until-filter').value = '2020-01-01T00:00'; document.getElementById('apply-filters').click()");
        await browser.WaitForAsync("document.querySelector('#log tbody').innerText.includes('No events match these filters.')", "the empty state");
    }
}
