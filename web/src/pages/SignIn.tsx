import { useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { useNavigate, useSearchParams } from "react-router";
import { ApiError, call, errorText } from "../api/client";
import { safeNext } from "../lib/http";

export default function SignIn() {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await call("POST", "/auth/session", { token });
      await qc.invalidateQueries();
      navigate(safeNext(params.get("next")), { replace: true });
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? "That token is not right." : errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="page narrow">
      <h1>Sign in</h1>
      <p>This Reelscan asks for its API token (the <code>API_TOKEN</code> it was started with). You sign in once;
        the browser keeps a session cookie.</p>
      <form onSubmit={(e) => void submit(e)} className="stack">
        <label htmlFor="token">API token</label>
        <input id="token" type="password" autoComplete="current-password" value={token} required
          onChange={(e) => setToken(e.target.value)} />
        <button type="submit" disabled={busy || token === ""}>{busy ? "Signing in…" : "Sign in"}</button>
        {error && <p className="error" role="alert">{error}</p>}
      </form>
    </section>
  );
}
