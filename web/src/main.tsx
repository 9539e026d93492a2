import { StrictMode, Suspense, lazy } from "react";
import { createRoot } from "react-dom/client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createBrowserRouter, RouterProvider } from "react-router";
import { ApiError } from "./api/client";
import { Layout, RouteError } from "./App";
import "./styles.css";

const Library = lazy(() => import("./pages/Library"));
const VideoPage = lazy(() => import("./pages/Video"));
const Search = lazy(() => import("./pages/Search"));
const Operations = lazy(() => import("./pages/Operations"));
const SignIn = lazy(() => import("./pages/SignIn"));
const NotFound = lazy(() => import("./pages/NotFound"));

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      refetchOnWindowFocus: false,
      // a 4xx will not change by asking again
      retry: (n, e) => !(e instanceof ApiError && e.status >= 400 && e.status < 500) && n < 2,
    },
  },
});

const page = (el: React.ReactNode) => <Suspense fallback={<p className="muted" role="status">Loading…</p>}>{el}</Suspense>;

const router = createBrowserRouter([
  {
    path: "/",
    element: <Layout />,
    errorElement: <RouteError />,
    children: [
      { index: true, element: page(<Library />) },
      { path: "videos/:id", element: page(<VideoPage />) },
      { path: "search", element: page(<Search />) },
      { path: "operations", element: page(<Operations />) },
      { path: "sign-in", element: page(<SignIn />) },
      { path: "*", element: page(<NotFound />) },
    ],
  },
], { basename: "/app" });

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
