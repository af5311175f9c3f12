import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { fetchers, qk } from "@/api/queries";
import type { ModelInfo } from "@/api/types";
import { providerApi, providerKeys, type RemoteModelInfo } from "./api";

/** Remote models of the enabled providers, for a generation page's model selector. */
export function useRemoteModels(kind: "image" | "video" = "image") {
  return useQuery({ queryKey: providerKeys.remoteModels(kind), queryFn: () => providerApi.remoteModels(kind), staleTime: 60_000 });
}

/**
 * Everything an image selector offers: the local catalogue (null when the server has none) and
 * the remote text-to-image models after it.
 */
export function useImageModelChoices(): { local: ModelInfo[] | null | undefined; remote: RemoteModelInfo[]; all: ModelInfo[]; isLoading: boolean } {
  const { data: local, isLoading } = useQuery({ queryKey: qk.models, queryFn: fetchers.models });
  const { data: remote } = useRemoteModels("image");
  return useMemo(() => {
    const localImage = (local ?? []).filter((m) => m.category !== "video" && !m.is_video);
    const remoteImage = (remote ?? []).filter((m) => m.category === "text-to-image");
    return { local, remote: remoteImage, all: [...localImage, ...remoteImage], isLoading };
  }, [local, remote, isLoading]);
}
