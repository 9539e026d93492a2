import { useEffect, useRef, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { NavLink, Outlet, useLocation, useNavigate, useRouteError, useSearchParams } from "react-router";
import { call, errorText, setUnauthorizedHandler } from "./api/client";
import { liveEventsUrl, useLiveUpdates } from "./lib/live";

export interface Session { auth_required: boolean; signed_in: boolean }

/** True when the key press belongs to a text field (shortcuts stay out of its way). */
export function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  const tag = el.tagName;
  return el.isContentEditable || tag === "TEXTAREA" || tag === "SELECT" ||
    (tag === "INPUT" && !["button", "checkbox", "radio", "range"].includes((el as HTMLInputElement).type));
}

function SearchBox() {
  const navigate = useNavigate();
  const location = useLocation();
  const [params] = useSearchParams();
  const onSearch = location.pathname === "/search";
  const [q, setQ] = useState(onSearch ? params.get("q") ?? "" : "");
  const ref = useRef<HTMLInputElement>(null);
  const urlQ = onSearch ? params.get("q") ?? "" : null;
  useEffect(() => { if (urlQ !== null) setQ(urlQ); }, [urlQ]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "/" && !typing(e.target) && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        ref.current?.focus();
        ref.current?.select();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
  // typing on the search page searches as you type (debounced); elsewhere Enter opens the search page
  useEffect(() => {
    if (!onSearch || q === (params.get("q") ?? "")) return;
    const t = window.setTimeout(() => {
      const next = new URLSearchParams(params);
      if (q.trim()) next.set("q", q); else next.delete("q");
      navigate(`/search?${next.toString()}`, { replace: true });
    }, 250);
    return () => window.clearTimeout(t);
  }, [q, onSearch, params, navigate]);
  return (
    <form role="search" className="searchbox" onSubmit={(e) => {
      e.preventDefault();
      const next = onSearch ? new URLSearchParams(params) : new URLSearchParams();
      next.set("q", q);
      navigate(`/search?${next.toString()}`);
    }}>
      <input ref={ref} type="search" name="q" value={q} onChange={(e) => setQ(e.target.value)}
        placeholder="Search words said or shown  ( / )" aria-label="Search words said or shown in videos"
        aria-keyshortcuts="/" autoComplete="off" />
    </form>
  );
}

export function Layout() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const location = useLocation();
  useEffect(() => {
    setUnauthorizedHandler(() => {
      if (location.pathname !== "/sign-in") {
        navigate(`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
      }
    });
  }, [navigate, location]);
  const session = useQuery({ queryKey: ["session"], queryFn: () => call<Session>("GET", "/auth/session"),
    staleTime: 60_000 });
  const needsSignIn = session.data?.auth_required && !session.data.signed_in;
  const live = useLiveUpdates(qc, liveEventsUrl(session.data));
  useEffect(() => {
    if (needsSignIn && location.pathname !== "/sign-in") {
      navigate(`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
    }
  }, [needsSignIn, location, navigate]);
  const signOut = async () => {
    await call("DELETE", "/auth/session");
    qc.clear();
    navigate("/sign-in");
  };
  return (
    <>
      <a className="skip" href="#main">Skip to content</a>
      <header className="top">
        <NavLink to="/" className="brand" aria-label="Reelscan library">Reelscan</NavLink>
        <nav aria-label="Pages">
          <NavLink to="/" end>Library</NavLink>
          <NavLink to="/search">Search</NavLink>
          <NavLink to="/operations">Operations</NavLink>
        </nav>
        <SearchBox />
        <span className={`live live-${live}`} role="status" title={live === "live" ? "Live updates" :
          live === "polling" ? "Live updates unavailable: refreshing every 5 s" : "Connecting"}>
          {live === "live" ? "● live" : live === "polling" ? "○ polling" : "…"}
        </span>
        {session.data?.auth_required && session.data.signed_in &&
          <button type="button" className="link" onClick={() => void signOut()}>Sign out</button>}
      </header>
      {session.error && <p className="error" role="alert">Checking the session failed: {errorText(session.error)}</p>}
      <main id="main">
        {needsSignIn && location.pathname !== "/sign-in" ? null : <Outlet />}
      </main>
    </>
  );
}

export function RouteError() {
  const e = useRouteError();
  return <main className="page"><h1>Something went wrong</h1><p className="error" role="alert">{errorText(e)}</p></main>;
}
