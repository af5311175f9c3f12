import { useQuery } from "@tanstack/react-query";
import { X } from "lucide-react";
import { fetchers, qk } from "@/api/queries";
import type { Lora, LoraChoice } from "@/api/types";
import { hasWord } from "@/lib/prompt";
import { useRequestLimits } from "@/lib/validation";
import { Button } from "@/components/ui/button";
import { Select } from "@/components/ui/input";
import { Slider } from "@/components/ui/slider";

/** Whether a LoRA can be used with a model type: the server lists the types in `model_types` (no type known yet: all). */
export const fitsModelType = (lora: Lora, modelType: string | undefined): boolean => !modelType || lora.model_types.includes(modelType);

/** The LoRAs the picker offers for a model type. */
export const lorasFor = (loras: Lora[], modelType: string | undefined): Lora[] => loras.filter((l) => fitsModelType(l, modelType));

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
  // Every LoRA, filtered here by each one's `model_types`: the chosen ones keep their names (and are
  // flagged) when the model changes to a type they do not fit.
  const { data: loras, isLoading } = useQuery({ queryKey: qk.loras(), queryFn: () => fetchers.loras() });
  const weight = useRequestLimits()?.lora_weight;
  if (loras === null) return <p className="text-xs text-muted-foreground">LoRAs are not available on this server yet.</p>;
  const available = lorasFor(loras ?? [], modelType).filter((l) => !value.some((v) => v.lora_id === l.id));
  const misfit = (id: string) => {
    const l = loras?.find((x) => x.id === id);
    return l && !fitsModelType(l, modelType) ? l : null;
  };
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
          {weight && (
            <Slider
              label={`Weight of ${nameOf(choice.lora_id)}`}
              value={choice.weight}
              min={weight.min}
              max={weight.max}
              step={0.05}
              onChange={(w) => onChange(value.map((v, j) => (j === i ? { ...v, weight: w } : v)))}
            />
          )}
          {misfit(choice.lora_id) && (
            <p role="alert" className="text-xs text-warning" data-testid="lora-misfit">
              Made for {misfit(choice.lora_id)?.model_types.join(", ") || "another model type"}: not usable with this {modelType} model.
            </p>
          )}
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
