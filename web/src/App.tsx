import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createBrowserRouter, Link, Navigate, RouterProvider, useParams } from "react-router-dom";
import { ApiError } from "@/api/client";
import { LiveProvider } from "@/live/LiveProvider";
import { Shell } from "@/layout/Shell";
import { ImagePage } from "@/pages/image/ImagePage";
import { QueuePage } from "@/pages/QueuePage";
import { JobDetailPage } from "@/pages/JobDetailPage";
import { AssetsPage } from "@/pages/AssetsPage";
import { AssetDetailPage } from "@/pages/AssetDetailPage";
import { ModelsPage } from "@/pages/ModelsPage";
import { ModelDetailPage } from "@/pages/ModelDetailPage";
import { SettingsPage } from "@/pages/SettingsPage";
import { LogsPage } from "@/pages/LogsPage";
import { CivitaiModelPage } from "@/pages/civitai/CivitaiModelPage";
import { ComfyUIPage } from "@/pages/ComfyUIPage";
import { VideoPage } from "@/pages/video/VideoPage";
import { BulkPage } from "@/pages/bulk/BulkPage";
import { ProvidersPage } from "@/pages/providers/ProvidersPage";
import { ProviderDetailPage } from "@/pages/providers/ProviderDetailPage";

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // Live events keep data fresh; no polling. Retry network failures a little, never 4xx.
      staleTime: 10_000,
      refetchOnWindowFocus: false,
      retry: (count, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && count < 2,
    },
  },
});

function NotFound() {
  return (
    <p className="text-sm text-muted-foreground" role="alert">
      Page not found: this address is not a page of the studio. Start again from the{" "}
      <Link to="/" className="underline">
        Image page
      </Link>{" "}
      or pick a page in the menu.
    </p>
  );
}

/** A page URL of the seed (bookmarks, links in old notes) that now lives elsewhere: `:param` is carried over. */
function SeedAlias({ to }: { to: string }) {
  const params = useParams();
  const target = to.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name] ?? ""));
  return <Navigate to={target} replace />;
}

// The seed's page URLs (see shared/notes/seed-api.md, section 7.1) and where each page lives now.
const seedAliases = [
  { path: "/image", to: "/" },
  { path: "/job/:jobId", to: "/queue/:jobId" },
  { path: "/model/:modelId", to: "/models/:modelId" },
  { path: "/provider/:providerId", to: "/providers/:providerId" },
  { path: "/models/civitai/:modelId", to: "/civitai/models/:modelId" },
  { path: "/asset/:assetId", to: "/assets/:assetId" },
  { path: "/asset/video/:assetId", to: "/assets/:assetId" },
].map(({ path, to }) => ({ path, element: <SeedAlias to={to} /> }));

const router = createBrowserRouter([
  {
    element: <Shell />,
    children: [
      { path: "/", element: <ImagePage /> },
      { path: "/video", element: <VideoPage /> },
      { path: "/queue", element: <QueuePage /> },
      { path: "/queue/:jobId", element: <JobDetailPage /> },
      { path: "/assets", element: <AssetsPage /> },
      { path: "/assets/:assetId", element: <AssetDetailPage /> },
      { path: "/models", element: <ModelsPage /> },
      { path: "/models/:modelId", element: <ModelDetailPage /> },
      { path: "/civitai/models/:civitaiId", element: <CivitaiModelPage /> },
      { path: "/settings", element: <SettingsPage /> },
      { path: "/logs", element: <LogsPage /> },
      { path: "/comfyui", element: <ComfyUIPage /> },
      { path: "/bulk", element: <BulkPage /> },
      { path: "/providers", element: <ProvidersPage /> },
      { path: "/providers/:providerId", element: <ProviderDetailPage /> },
      ...seedAliases,
      { path: "*", element: <NotFound /> },
    ],
  },
]);

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <LiveProvider>
        <RouterProvider router={router} />
      </LiveProvider>
    </QueryClientProvider>
  );
}
