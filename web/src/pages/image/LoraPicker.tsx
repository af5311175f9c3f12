import { useQuery } from "@tanstack/react-query";
import { X } from "lucide-react";
import { fetchers, qk } from "@/api/queries";
import type { LoraChoice } from "@/api/types";
import { hasWord } from "@/lib/prompt";
import { LIMITS } from "@/lib/validation";
import { Button } from "@/components/ui/button";
import { Select } from "@/components/ui/input";
import { Slider } from "@/components/ui/slider";

export function LoraPicker({
  modelType,
  value,
  onChange,
  errors,
  prompt,
  onInsertWord,
}: {
  modelType?: string;
  value: LoraChoice[];
  onChange: (v: LoraChoice[]) => void;
  errors: Partial<Record<string, string>>;
  /** The current prompt, to mark trigger words it already holds. */
  prompt: string;
  /** Adds a LoRA's trigger word to the prompt (the page owns the prompt). */
  onInsertWord: (word: string) => void;
}) {
  const { data: loras, isLoading } = useQuery({ queryKey: qk.loras(modelType), queryFn: () => fetchers.loras(modelType) });
  if (loras === null) return <p className="text-xs text-muted-foreground">LoRAs are not available on this server yet.</p>;
  const available = (loras ?? []).filter((l) => !value.some((v) => v.lora_id === l.id));
  const nameOf = (id: string) => loras?.find((l) => l.id === id)?.name ?? id;
  const wordsOf = (id: string) => loras?.find((l) => l.id === id)?.trigger_words ?? [];
  return (
    <div className="space-y-2" data-testid="lora-picker">
      {value.map((choice, i) => (
        <div key={choice.lora_id} className="rounded-md border border-border p-2">
          <div className="flex items-center justify-between text-xs">
            <span className="truncate font-medium">{nameOf(choice.lora_id)}</span>
            <span className="flex items-center gap-1">
              <span className="tabular-nums text-muted-foreground">{choice.weight.toFixed(2)}</span>
              <Button
                size="icon"
                variant="ghost"
                className="h-6 w-6"
                aria-label={`Remove LoRA ${nameOf(choice.lora_id)}`}
                onClick={() => onChange(value.filter((_, j) => j !== i))}
              >
                <X className="h-3.5 w-3.5" />
              </Button>
            </span>
          </div>
          <Slider
            label={`Weight of ${nameOf(choice.lora_id)}`}
            value={choice.weight}
            min={LIMITS.loraWeight.min}
            max={LIMITS.loraWeight.max}
            step={0.05}
            onChange={(w) => onChange(value.map((v, j) => (j === i ? { ...v, weight: w } : v)))}
          />
          {wordsOf(choice.lora_id).length > 0 && (
            <div className="mt-1 flex flex-wrap items-center gap-1" data-testid="lora-trigger-words">
              <span className="text-[11px] text-muted-foreground">Trigger words:</span>
              {wordsOf(choice.lora_id).map((word) => {
                const inPrompt = hasWord(prompt, word);
                return (
                  <Button
                    key={word}
                    type="button"
                    size="sm"
                    variant={inPrompt ? "secondary" : "outline"}
                    className="h-6 px-2 text-[11px]"
                    disabled={inPrompt}
                    title={inPrompt ? "Already in the prompt" : "Add to the prompt"}
                    aria-label={inPrompt ? `${word} is in the prompt` : `Add trigger word ${word} to the prompt`}
                    onClick={() => onInsertWord(word)}
                  >
                    {word}
                  </Button>
                );
              })}
            </div>
          )}
          {(errors[`loras.${i}.weight`] || errors[`loras.${i}`]) && (
            <p role="alert" className="text-xs text-destructive">
              {errors[`loras.${i}.weight`] ?? errors[`loras.${i}`]}
            </p>
          )}
        </div>
      ))}
      <Select
        aria-label="Add a LoRA"
        value=""
        disabled={isLoading || available.length === 0}
        onChange={(e) => e.target.value && onChange([...value, { lora_id: e.target.value, weight: 1 }])}
      >
        <option value="">{isLoading ? "Loading LoRAs…" : available.length ? "Add a LoRA…" : "No LoRAs found for this model"}</option>
        {available.map((l) => (
          <option key={l.id} value={l.id}>
            {l.name}
            {l.base ? ` (${l.base})` : ""}
          </option>
        ))}
      </Select>
      {errors.loras && (
        <p role="alert" className="text-xs text-destructive">
          {errors.loras}
        </p>
      )}
    </div>
  );
}
