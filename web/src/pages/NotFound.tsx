import { Link } from "react-router";

export default function NotFound() {
  return (
    <section className="page">
      <h1>Page not found</h1>
      <p>There is no such page in the app. <Link to="/">Back to the library</Link>.</p>
    </section>
  );
}
